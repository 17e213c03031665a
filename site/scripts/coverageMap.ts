// The interactive map of /cobertura. Without JavaScript the page already answers typed
// coordinates and lists the localities; this adds the map, clicks and geolocation.
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import iconUrl from 'leaflet/dist/images/marker-icon.png?url';
import iconRetinaUrl from 'leaflet/dist/images/marker-icon-2x.png?url';
import shadowUrl from 'leaflet/dist/images/marker-shadow.png?url';
import {
  coverageAt,
  coverageTechnologyLabels,
  type CoverageArea,
  type CoverageTechnology,
} from '#db/domain/coverage.ts';
import type { AreaStatusView } from '#db/queries/coverage.ts';

interface MapData {
  areas: CoverageArea[];
  statuses: Record<string, AreaStatusView>;
  tiles: { url: string; attribution: string };
}

const container = document.getElementById('mapa');
if (container?.dataset.coverage) {
  const data = JSON.parse(container.dataset.coverage) as MapData;
  container.hidden = false;
  const layersBox = document.getElementById('capas')!;
  layersBox.hidden = false;
  for (const hint of document.querySelectorAll<HTMLElement>('[data-map-hint]')) hint.hidden = false;
  const answer = document.getElementById('respuesta')!;

  const map = L.map(container, { keyboard: true }).setView([19.28, -99.62], 11);
  // Offline or blocked tiles only leave the plain background: the areas are vectors.
  L.tileLayer(data.tiles.url, { attribution: data.tiles.attribution, maxZoom: 18 }).addTo(map);

  const colours: Record<CoverageTechnology, string> = { fiber: '#0550ae', microwave: '#bc4c00' };
  const layers: Record<CoverageTechnology, L.LayerGroup> = { fiber: L.layerGroup(), microwave: L.layerGroup() };
  for (const area of data.areas) {
    L.geoJSON(area.geometry, {
      style: {
        color: colours[area.technology],
        weight: 2,
        fillOpacity: area.technology === 'fiber' ? 0.35 : 0.15,
        dashArray: area.technology === 'microwave' ? '6 4' : undefined,
      },
      interactive: false,
    }).addTo(layers[area.technology]);
  }
  for (const layer of Object.values(layers)) layer.addTo(map);
  const all = L.featureGroup(Object.values(layers).flatMap((g) => g.getLayers()));
  if (all.getLayers().length) map.fitBounds(all.getBounds(), { padding: [10, 10] });

  for (const box of layersBox.querySelectorAll<HTMLInputElement>('input[name=capa]')) {
    box.addEventListener('change', () => {
      const layer = layers[box.value as CoverageTechnology];
      if (box.checked) layer.addTo(map);
      else layer.remove();
    });
  }

  const icon = L.icon({
    iconUrl,
    iconRetinaUrl,
    shadowUrl,
    iconSize: [25, 41],
    iconAnchor: [12, 41],
    shadowSize: [41, 41],
  });
  let marker: L.Marker | undefined;
  const lat = document.getElementById('lat') as HTMLInputElement;
  const lon = document.getElementById('lon') as HTMLInputElement;
  const formLat = document.getElementById('f-latitude') as HTMLInputElement | null;
  const formLon = document.getElementById('f-longitude') as HTMLInputElement | null;

  const show = (latitude: number, longitude: number) => {
    const la = Number(latitude.toFixed(5));
    const lo = Number(longitude.toFixed(5));
    lat.value = String(la);
    lon.value = String(lo);
    if (formLat && formLon) {
      formLat.value = String(la);
      formLon.value = String(lo);
    }
    marker?.remove();
    marker = L.marker([la, lo], { icon, keyboard: false }).addTo(map);
    const matches = coverageAt(data.areas, [lo, la]);
    answer.replaceChildren();
    const box = document.createElement('div');
    box.className = 'notice';
    const p = document.createElement('p');
    if (matches.length === 0) {
      p.append(
        'Ese punto está fuera del área marcada (',
        `${la}, ${lo}`,
        '). Eso no significa que no podamos llegar: ',
      );
      const link = document.createElement('a');
      link.href = '#factibilidad';
      link.textContent = 'solicite un estudio de factibilidad sin costo';
      p.append(link, '.');
      box.append(p);
    } else {
      const strong = document.createElement('strong');
      strong.textContent = 'Sí hay cobertura';
      p.append(strong, ` en ${la}, ${lo}:`);
      const list = document.createElement('ul');
      for (const m of matches) {
        const s = data.statuses[`${m.areaSlug}:${m.technology}`];
        const li = document.createElement('li');
        li.append(
          `${coverageTechnologyLabels[m.technology]} · ${m.locality} (${s?.areaName ?? m.areaSlug}) — estado actual: `,
        );
        const label = document.createElement('span');
        label.className = `status status-${s?.status ?? 'operational'}`;
        label.textContent = s?.statusLabel ?? 'Operativo';
        const link = document.createElement('a');
        link.href = `/zonas/${m.areaSlug}`;
        link.textContent = 'ver zona';
        li.append(label, ' ', link);
        list.append(li);
      }
      box.append(p, list);
    }
    answer.append(box);
  };

  map.on('click', (e: L.LeafletMouseEvent) => show(e.latlng.lat, e.latlng.lng));
  // Keyboard users: Enter on the focused map checks its centre.
  container.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && e.target === container) {
      const c = map.getCenter();
      show(c.lat, c.lng);
    }
  });

  document.getElementById('mi-ubicacion')!.addEventListener('click', () => {
    if (!navigator.geolocation) {
      answer.textContent = 'Su navegador no permite consultar la ubicación; escriba sus coordenadas.';
      return;
    }
    answer.textContent = 'Consultando su ubicación…';
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        map.setView([pos.coords.latitude, pos.coords.longitude], 14);
        show(pos.coords.latitude, pos.coords.longitude);
      },
      () => {
        answer.textContent = 'No pudimos obtener su ubicación; escriba sus coordenadas.';
      },
      { enableHighAccuracy: true, timeout: 15_000 },
    );
  });
}
