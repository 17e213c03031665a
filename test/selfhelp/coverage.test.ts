import { describe, expect, it } from 'vitest';
import type { MultiPolygon, Polygon } from 'geojson';
import { coverageAt, parseCoordinates, ringProblem, type CoverageArea } from '#db/domain/coverage.ts';
import { demoCoverageAreas } from '#db/domain/coverageDemo.ts';

// A 1°×1° square with a 0.5° hole in its middle, and a separate microwave square.
const square: Polygon = {
  type: 'Polygon',
  coordinates: [
    [
      [0, 0],
      [1, 0],
      [1, 1],
      [0, 1],
      [0, 0],
    ],
    [
      [0.25, 0.25],
      [0.25, 0.75],
      [0.75, 0.75],
      [0.75, 0.25],
      [0.25, 0.25],
    ],
  ],
};
const islands: MultiPolygon = {
  type: 'MultiPolygon',
  coordinates: [
    [
      [
        [2, 0],
        [3, 0],
        [3, 1],
        [2, 1],
        [2, 0],
      ],
    ],
    [
      [
        [4, 0],
        [5, 0],
        [5, 1],
        [4, 1],
        [4, 0],
      ],
    ],
  ],
};
const areas: CoverageArea[] = [
  { areaSlug: 'uno', technology: 'fiber', locality: 'Uno', geometry: square },
  { areaSlug: 'dos', technology: 'microwave', locality: 'Dos', geometry: islands },
];
const techs = (p: [number, number]) => coverageAt(areas, p).map((m) => `${m.areaSlug}:${m.technology}`);

describe('coverageAt (point in polygon)', () => {
  it('inside the ring and outside the hole is covered', () => {
    expect(techs([0.1, 0.1])).toEqual(['uno:fiber']);
  });
  it('inside the hole is not covered', () => {
    expect(techs([0.5, 0.5])).toEqual([]);
  });
  it('on the outer edge and on a vertex counts as covered', () => {
    expect(techs([0.5, 0])).toEqual(['uno:fiber']);
    expect(techs([1, 0.5])).toEqual(['uno:fiber']);
    expect(techs([0, 0])).toEqual(['uno:fiber']);
  });
  it('on the hole edge counts as covered (boundary)', () => {
    expect(techs([0.25, 0.5])).toEqual(['uno:fiber']);
  });
  it('just outside the edge is not covered', () => {
    expect(techs([1.000001, 0.5])).toEqual([]);
    expect(techs([0.5, -0.000001])).toEqual([]);
  });
  it('either part of a MultiPolygon covers; the gap between does not', () => {
    expect(techs([2.5, 0.5])).toEqual(['dos:microwave']);
    expect(techs([4.5, 0.5])).toEqual(['dos:microwave']);
    expect(techs([3.5, 0.5])).toEqual([]);
  });
  it('lists fibre before microwave where both cover, once each', () => {
    const both: CoverageArea[] = [
      { areaSlug: 'a', technology: 'microwave', locality: 'A', geometry: square },
      { areaSlug: 'a', technology: 'fiber', locality: 'A', geometry: square },
      { areaSlug: 'a', technology: 'fiber', locality: 'A bis', geometry: square },
    ];
    expect(coverageAt(both, [0.1, 0.1]).map((m) => m.technology)).toEqual(['fiber', 'microwave']);
  });
  it('demo data: Toluca centre has fibre and microwave; inside the Sierra Morelos hole nothing; far away nothing', () => {
    expect(coverageAt(demoCoverageAreas, [-99.655, 19.29]).map((m) => `${m.areaSlug}:${m.technology}`)).toEqual([
      'toluca:fiber',
      'toluca:microwave',
    ]);
    expect(coverageAt(demoCoverageAreas, [-99.69, 19.33])).toEqual([]);
    expect(coverageAt(demoCoverageAreas, [-99.13, 19.43])).toEqual([]);
  });
});

describe('demo coverage', () => {
  it('every ring is valid and every area has both technologies', () => {
    for (const a of demoCoverageAreas) {
      for (const ring of (a.geometry as Polygon).coordinates) expect(ringProblem(ring)).toBeNull();
    }
    const slugs = new Set(demoCoverageAreas.map((a) => a.areaSlug));
    expect([...slugs]).toEqual(['toluca', 'metepec', 'zinacantepec', 'lerma', 'san-mateo-atenco']);
    for (const s of slugs)
      expect(
        demoCoverageAreas
          .filter((a) => a.areaSlug === s)
          .map((a) => a.technology)
          .sort(),
      ).toEqual(['fiber', 'microwave']);
  });
});

describe('parseCoordinates', () => {
  it('reads latitude then longitude, in two fields or one', () => {
    expect(parseCoordinates('19.2826', '-99.6557')).toEqual([-99.6557, 19.2826]);
    expect(parseCoordinates('19.2826, -99.6557')).toEqual([-99.6557, 19.2826]);
    expect(parseCoordinates('19.2826 -99.6557')).toEqual([-99.6557, 19.2826]);
  });
  it('rejects text, missing parts and out-of-range degrees', () => {
    expect(parseCoordinates('abc', '-99')).toBeNull();
    expect(parseCoordinates('', '-99')).toBeNull();
    expect(parseCoordinates('19.28')).toBeNull();
    expect(parseCoordinates('91', '-99')).toBeNull();
    expect(parseCoordinates('19', '-181')).toBeNull();
  });
});

describe('ringProblem', () => {
  it('names open rings, short rings and bad degrees', () => {
    expect(
      ringProblem([
        [0, 0],
        [1, 0],
        [1, 1],
        [0, 1],
      ]),
    ).toMatch(/cerrado/);
    expect(
      ringProblem([
        [0, 0],
        [1, 0],
        [0, 0],
      ]),
    ).toMatch(/al menos 4/);
    expect(
      ringProblem([
        [0, 0],
        [200, 0],
        [1, 1],
        [0, 0],
      ]),
    ).toMatch(/Longitud fuera de rango/);
    expect(
      ringProblem([
        [0, 0],
        [1, 95],
        [1, 1],
        [0, 0],
      ]),
    ).toMatch(/Latitud fuera de rango/);
    expect(
      ringProblem([
        [0, 0],
        [1, Number.NaN],
        [1, 1],
        [0, 0],
      ]),
    ).toMatch(/números/);
  });
});
