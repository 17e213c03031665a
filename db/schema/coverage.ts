import { sqliteTable, text, integer, real, index } from 'drizzle-orm/sqlite-core';
import { coverageTechnologies, feasibilityServices } from '../domain/coverage.ts';

/**
 * Coverage polygons as the NOC last uploaded them (PUT /api/v1/coverage replaces them all).
 * While the NOC has never uploaded any, the demo polygons of db/domain/coverageDemo.ts apply.
 */
export const coverageAreas = sqliteTable('coverage_areas', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  /** Slug of the catalogue group (area) whose live status answers "is it working there?". */
  areaSlug: text('area_slug').notNull(),
  technology: text('technology', { enum: coverageTechnologies }).notNull(),
  /** Locality named in the no-JavaScript list, e.g. "Metepec centro". */
  locality: text('locality').notNull(),
  /** GeoJSON Polygon or MultiPolygon geometry, validated on upload. */
  geometry: text('geometry').notNull(),
  position: integer('position').notNull(),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
});

/** Feasibility-study requests from outside the covered areas (manual 2.3). */
export const feasibilityRequests = sqliteTable(
  'feasibility_requests',
  {
    id: text('id').primaryKey(),
    company: text('company').notNull(),
    contactName: text('contact_name').notNull(),
    email: text('email').notNull(),
    phone: text('phone').notNull(),
    latitude: real('latitude').notNull(),
    longitude: real('longitude').notNull(),
    address: text('address').notNull(),
    service: text('service', { enum: feasibilityServices }).notNull(),
    bandwidth: text('bandwidth'),
    notes: text('notes'),
    /** SHA-256 of the sender's address: enough to rate-limit, not enough to identify. */
    clientKey: text('client_key').notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    index('feasibility_client_created_idx').on(t.clientKey, t.createdAt),
    index('feasibility_created_idx').on(t.createdAt),
  ],
);
