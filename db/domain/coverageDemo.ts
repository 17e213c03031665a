// Demo coverage around the Toluca valley areas of the demo catalogue. Shown until the NOC
// uploads the real polygons (PUT /api/v1/coverage). Rough boxes, not SOMNET's real network.
import type { Polygon } from 'geojson';
import type { CoverageArea } from './coverage.ts';

/** A closed rectangular ring from west/south/east/north bounds, counter-clockwise (RFC 7946). */
function box(west: number, south: number, east: number, north: number): number[][] {
  return [
    [west, south],
    [east, south],
    [east, north],
    [west, north],
    [west, south],
  ];
}
function polygon(outer: number[][], ...holes: number[][][]): Polygon {
  // Holes are clockwise (RFC 7946 §3.1.6).
  return { type: 'Polygon', coordinates: [outer, ...holes.map((h) => [...h].reverse())] };
}

export const demoCoverageAreas: CoverageArea[] = [
  {
    areaSlug: 'toluca',
    technology: 'fiber',
    locality: 'Toluca centro y zona industrial',
    geometry: polygon(box(-99.69, 19.26, -99.62, 19.31)),
  },
  // The hole is the Sierra Morelos park, where towers have no line of sight.
  {
    areaSlug: 'toluca',
    technology: 'microwave',
    locality: 'Toluca (todo el municipio urbano)',
    geometry: polygon(box(-99.72, 19.24, -99.6, 19.345), box(-99.705, 19.32, -99.68, 19.338)),
  },
  {
    areaSlug: 'metepec',
    technology: 'fiber',
    locality: 'Metepec centro',
    geometry: polygon(box(-99.62, 19.23, -99.58, 19.27)),
  },
  {
    areaSlug: 'metepec',
    technology: 'microwave',
    locality: 'Metepec y San Bartolomé Tlaltelulco',
    geometry: polygon(box(-99.64, 19.2, -99.56, 19.26)),
  },
  {
    areaSlug: 'zinacantepec',
    technology: 'fiber',
    locality: 'Zinacantepec cabecera',
    geometry: polygon(box(-99.745, 19.275, -99.725, 19.295)),
  },
  {
    areaSlug: 'zinacantepec',
    technology: 'microwave',
    locality: 'Zinacantepec y San Cristóbal Tecolit',
    geometry: polygon(box(-99.8, 19.25, -99.722, 19.32)),
  },
  {
    areaSlug: 'lerma',
    technology: 'fiber',
    locality: 'Lerma y parque industrial',
    geometry: polygon(box(-99.53, 19.27, -99.49, 19.3)),
  },
  {
    areaSlug: 'lerma',
    technology: 'microwave',
    locality: 'Corredor Toluca–Lerma',
    geometry: polygon(box(-99.55, 19.285, -99.46, 19.33)),
  },
  {
    areaSlug: 'san-mateo-atenco',
    technology: 'fiber',
    locality: 'San Mateo Atenco centro',
    geometry: polygon(box(-99.55, 19.255, -99.53, 19.27)),
  },
  {
    areaSlug: 'san-mateo-atenco',
    technology: 'microwave',
    locality: 'San Mateo Atenco',
    geometry: polygon(box(-99.565, 19.24, -99.5305, 19.2845)),
  },
];
