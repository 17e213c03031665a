import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import yaml from 'js-yaml';
import { equipmentSchema, isFault, ledStateLabel } from '../../site/lib/ledGuide.ts';

// The same file and schema the Astro build loads (site/content.config.ts: file() loader).
const entries = yaml.load(readFileSync(new URL('../../site/content/leds.yaml', import.meta.url), 'utf8')) as unknown[];

const validEntry = {
  id: 'router',
  name: 'Router',
  order: 1,
  description: 'El router de la oficina.',
  leds: [
    {
      id: 'power',
      name: 'Power',
      states: [
        { look: 'off', color: 'none', meaning: 'Sin energía.', action: 'Revise el contacto.' },
        { look: 'solid', color: 'green', meaning: 'Encendido.', action: 'Nada que hacer.' },
      ],
    },
  ],
};

describe('LED guide data file', () => {
  it('every entry matches the collection schema', () => {
    expect(Array.isArray(entries)).toBe(true);
    for (const entry of entries) {
      const parsed = equipmentSchema.safeParse(entry);
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    }
  });

  it('covers router, fibre ONT, microwave antenna and switch, with unique ids', () => {
    const ids = entries.map((e) => (e as { id: string }).id);
    expect(ids).toEqual(expect.arrayContaining(['router', 'ont', 'antena', 'switch']));
    expect(new Set(ids).size).toBe(ids.length);
    const all = entries.map((e) => equipmentSchema.parse(e));
    const ledNames = all.flatMap((e) => e.leds.map((l) => l.name)).join(' ');
    for (const needle of ['Power', 'PON', 'LOS', 'WAN', 'LAN', 'Wi-Fi', 'Señal']) expect(ledNames).toContain(needle);
    const states = all.flatMap((e) => e.leds.flatMap((l) => l.states));
    for (const look of ['off', 'solid', 'blinking']) expect(states.some((s) => s.look === look)).toBe(true);
    expect(states.some((s) => isFault(s) && s.look === 'blinking')).toBe(true);
    expect(states.some((s) => isFault(s) && s.look === 'solid')).toBe(true);
    expect(states.some((s) => s.color === 'amber')).toBe(true);
  });
});

describe('LED guide schema rejects what would render wrong', () => {
  it('accepts a minimal valid entry', () => {
    expect(equipmentSchema.safeParse(validEntry).success).toBe(true);
  });

  it.each([
    [
      'an off LED with a colour',
      (e: any) => {
        e.leds[0].states[0].color = 'red';
      },
      'leds.0.states.0.color',
    ],
    [
      'a lit LED without colour',
      (e: any) => {
        e.leds[0].states[1].color = 'none';
      },
      'leds.0.states.1.color',
    ],
    [
      'an unknown look',
      (e: any) => {
        e.leds[0].states[1].look = 'flashing';
      },
      'leds.0.states.1.look',
    ],
    [
      'a misspelt key',
      (e: any) => {
        e.leds[0].states[1].acton = e.leds[0].states[1].action;
        delete e.leds[0].states[1].action;
      },
      'leds.0.states.1',
    ],
    [
      'a missing meaning',
      (e: any) => {
        delete e.leds[0].states[0].meaning;
      },
      'leds.0.states.0.meaning',
    ],
    [
      'an LED with a single state',
      (e: any) => {
        e.leds[0].states.pop();
      },
      'leds.0.states',
    ],
    [
      'equipment without LEDs',
      (e: any) => {
        e.leds = [];
      },
      'leds',
    ],
    [
      'an id with spaces',
      (e: any) => {
        e.id = 'Router 1';
      },
      'id',
    ],
  ])('rejects %s', (_name, mutate, path) => {
    const entry = structuredClone(validEntry);
    mutate(entry);
    const parsed = equipmentSchema.safeParse(entry);
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  it('labels states in plain Spanish', () => {
    expect(ledStateLabel({ look: 'blinking', color: 'amber' })).toBe('Parpadeando ámbar');
    expect(ledStateLabel({ look: 'off', color: 'none' })).toBe('Apagado');
    expect(ledStateLabel({ look: 'solid', color: 'red' })).toBe('Encendido fijo rojo');
  });
});
