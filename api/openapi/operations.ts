// What the API description says about each route beyond what the app itself knows: a summary,
// the schema its body is parsed with (the command's own), the schema of its answer, and an
// example request. The route table (methods, paths) and each route's scope come from the app
// (api/openapi/document.ts reads `app.routes` and api/scopes.ts); a route registered without an
// entry here, or an entry without a route, fails test/api/openapi.test.ts.
//
// Examples run in this order against the demo catalogue (test/api/openapi.test.ts): objects are
// created before they are read, changed or deleted.
import { z } from 'zod';
import { alertRulesInput } from '#db/commands/alertRules.ts';
import { alertmanagerWebhookInput, genericAlertInput, grafanaWebhookInput } from '#db/commands/alerts/index.ts';
import {
  createComponentInput,
  createGroupInput,
  updateComponentInput,
  updateGroupInput,
} from '#db/commands/catalog.ts';
import { coverageInput } from '#db/commands/coverage.ts';
import { incidentReportInput } from '#db/commands/incidentReports.ts';
import {
  createIncidentInput,
  incidentPatchInput,
  incidentUpdateInput,
  incidentUpdatePatchInput,
} from '#db/commands/incidents.ts';
import {
  cancelMaintenanceInput,
  createMaintenanceInput,
  maintenancePatchInput,
  maintenanceUpdateInput,
} from '#db/commands/maintenances.ts';
import { qualityPushInput, qualitySourcesInput, qualityThresholdsInput } from '#db/commands/quality.ts';
import { serviceInventoryInput, serviceRow } from '#db/commands/services.ts';
import { codeInput, importRequestInput, importRow, subscriptionInput } from '#db/commands/subscribers.ts';
import { webhookEndpointInput } from '#db/commands/webhooks.ts';
import { alertListQuery, reportQuery, serviceListQuery, subscriberListQuery } from '#db/queries/index.ts';
import * as r from './responses.ts';

/**
 * How a body's keys reach the command: `public` bodies go through `commandInput` (top-level keys
 * are the snake_case of the schema's: `started_at` for `startedAt`); `kept` bodies are someone
 * else's documents (Alertmanager, Grafana) or envelopes the route reads as they are.
 */
export type BodyNames = 'public' | 'kept';

export interface BodyDoc {
  schema: z.ZodType;
  names: BodyNames;
  example: unknown;
  /** Cancelling takes an empty body too. */
  optional?: boolean;
  /** Routes that take more than the NOC's 64 KB say so. */
  maxBytes?: number;
  /** PUT /api/v1/services also takes the inventory as CSV. */
  csv?: { description: string; example: string };
}

export interface SuccessDoc {
  status: 200 | 201 | 202 | 204;
  description: string;
  /** JSON answer; none for 204. */
  schema?: z.ZodType;
  /** Also answers CSV (reports with format=csv or Accept: text/csv; the subscriber export only CSV). */
  csv?: 'also' | 'only';
  /**
   * The answer is the document the matching PUT takes (services, alert rules, quality settings),
   * so it is described as that request is: io 'input', before the command's transforms.
   */
  asRequest?: true;
}

export interface OperationDoc {
  summary: string;
  description?: string;
  tag: string;
  /** Query parameters: the schema the route parses them with (the unsubscribe link's token is read by the command). */
  query?: z.ZodObject;
  queryExample?: Record<string, string>;
  /** Example values of path parameters (`ref`: a component of the demo catalogue). */
  params?: Record<string, { description: string; example: string }>;
  body?: BodyDoc;
  success: SuccessDoc;
  /** Statuses beyond the ones every route of its kind has (401/403 for tokens, 400/413/415/422 for bodies). */
  errors?: number[];
  /** The documented example gets this status instead of the success one (a code that cannot be known in advance). */
  exampleStatus?: number;
}

const id = (what: string) => ({ description: `Id ${what}.`, example: 'x' });

const INCIDENT_EXAMPLE = {
  name: 'Corte de fibra en Metepec',
  status: 'identified',
  impact: 'major',
  started_at: '2026-12-07T09:40:00-06:00',
  body: 'Una cuadrilla trabaja en un corte de fibra sobre avenida Tecnológico. Clientes de fibra en Metepec sin servicio.',
  cause: 'Corte de fibra por obra de terceros',
  eta: '2026-12-07T13:00:00-06:00',
  components: { 'metepec-fibra': 'major_outage' },
};

const MAINTENANCE_EXAMPLE = {
  name: 'Cambio de tarjetas en el nodo Metepec',
  body: 'Cambiaremos tarjetas de línea del nodo Metepec. Los enlaces de fibra pueden tener cortes breves.',
  scheduled_for: '2026-12-20T01:00:00-06:00',
  scheduled_until: '2026-12-20T04:00:00-06:00',
  components: ['metepec-fibra'],
  impact_kind: 'degraded',
};

const SERVICE_EXAMPLE = {
  service_id: 'SOM-12345',
  customer_id: 'CLI-0042',
  company: 'Ferretera del Valle S.A. de C.V.',
  label: 'Sucursal Metepec',
  technology: 'Fibra óptica',
  component: 'metepec-fibra',
  elements: ['OLT-MET-01'],
  monthly_price_mxn: 3499,
  contacts: [{ name: 'Laura Méndez', email: 'sistemas@ferreteradelvalle.mx', phone: '+52 722 555 0101' }],
};

const ALERTMANAGER_EXAMPLE = {
  receiver: 'somnet-estado',
  status: 'firing',
  alerts: [
    {
      status: 'firing',
      labels: { alertname: 'OltPonSinLuz', instance: 'olt-metepec-1', severity: 'critical' },
      annotations: { summary: 'PON 1/2/3 sin luz en OLT Metepec' },
      startsAt: '2026-12-07T15:58:31.774Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.somnet.local:9090/graph',
      fingerprint: 'c6f3d2a1b0e9f8a7',
    },
  ],
  groupLabels: { alertname: 'OltPonSinLuz' },
  commonLabels: { alertname: 'OltPonSinLuz', instance: 'olt-metepec-1', severity: 'critical' },
  commonAnnotations: { summary: 'PON 1/2/3 sin luz en OLT Metepec' },
  externalURL: 'http://alertmanager.somnet.local:9093',
  version: '4',
  groupKey: '{}:{alertname="OltPonSinLuz"}',
  truncatedAlerts: 0,
};

const GRAFANA_EXAMPLE = {
  ...ALERTMANAGER_EXAMPLE,
  orgId: 1,
  version: '1',
  alerts: [
    {
      ...ALERTMANAGER_EXAMPLE.alerts[0],
      labels: { alertname: 'RadioEnlaceDegradado', instance: 'torre-lerma-ap2', severity: 'warning' },
      fingerprint: '0a1b2c3d4e5f6a7b',
      generatorURL: 'https://grafana.somnet.local/alerting/grafana/1afz29v7z/view',
    },
  ],
  groupLabels: { alertname: 'RadioEnlaceDegradado' },
  commonLabels: { alertname: 'RadioEnlaceDegradado' },
  groupKey: '{}:{alertname="RadioEnlaceDegradado"}',
  title: '[FIRING:1] RadioEnlaceDegradado',
  state: 'alerting',
  message: '**Firing**',
};

const POLYGON = [
  [
    [-99.62, 19.25],
    [-99.58, 19.25],
    [-99.58, 19.28],
    [-99.62, 19.28],
    [-99.62, 19.25],
  ],
];

/** Keyed by method and path as the app registers them (Hono's `:param` form). */
export const operations: Record<string, OperationDoc> = {
  'GET /api/v1/openapi.json': {
    tag: 'Descripción',
    summary: 'Este documento (OpenAPI 3.1, público)',
    success: {
      status: 200,
      description: 'La descripción de /api/v1 y /api/v2.',
      schema: z.looseObject({ openapi: z.string(), paths: z.record(z.string(), z.unknown()) }),
    },
  },

  // ---- Catalogue
  'GET /api/v1/components': {
    tag: 'Catálogo',
    summary: 'Componentes y zonas',
    success: { status: 200, description: 'Todos los componentes y las zonas.', schema: r.catalogueSchema },
  },
  'POST /api/v1/components': {
    tag: 'Catálogo',
    summary: 'Crear un componente',
    body: {
      schema: createComponentInput,
      names: 'public',
      example: { name: 'Fibra óptica', slug: 'ocoyoacac-fibra', group: 'metepec', description: 'Enlaces de fibra' },
    },
    success: { status: 201, description: 'El componente creado.', schema: r.v2ComponentSchema },
    errors: [409],
  },
  'GET /api/v1/components/:ref': {
    tag: 'Catálogo',
    summary: 'Un componente',
    params: { ref: { description: 'Id o identificador (slug) del componente.', example: 'metepec-fibra' } },
    success: { status: 200, description: 'El componente.', schema: r.v2ComponentSchema },
    errors: [404],
  },
  'PATCH /api/v1/components/:ref': {
    tag: 'Catálogo',
    summary: 'Cambiar un componente (nombre, zona, estado…)',
    params: { ref: { description: 'Id o identificador (slug) del componente.', example: 'ocoyoacac-fibra' } },
    body: { schema: updateComponentInput, names: 'public', example: { description: 'Fibra óptica en Ocoyoacac' } },
    success: { status: 200, description: 'El componente cambiado.', schema: r.v2ComponentSchema },
    errors: [404, 409],
  },
  'GET /api/v1/groups': {
    tag: 'Catálogo',
    summary: 'Zonas',
    success: { status: 200, description: 'Las zonas.', schema: z.object({ groups: z.array(r.v2GroupSchema) }) },
  },
  'POST /api/v1/groups': {
    tag: 'Catálogo',
    summary: 'Crear una zona',
    body: { schema: createGroupInput, names: 'public', example: { name: 'Ocoyoacac', description: 'Nueva zona' } },
    success: { status: 201, description: 'La zona creada.', schema: r.v2GroupSchema },
    errors: [409],
  },
  'GET /api/v1/groups/:ref': {
    tag: 'Catálogo',
    summary: 'Una zona',
    params: { ref: { description: 'Id o identificador (slug) de la zona.', example: 'ocoyoacac' } },
    success: { status: 200, description: 'La zona.', schema: r.v2GroupSchema },
    errors: [404],
  },
  'PATCH /api/v1/groups/:ref': {
    tag: 'Catálogo',
    summary: 'Cambiar una zona',
    params: { ref: { description: 'Id o identificador (slug) de la zona.', example: 'ocoyoacac' } },
    body: { schema: updateGroupInput, names: 'public', example: { position: 9 } },
    success: { status: 200, description: 'La zona cambiada.', schema: r.v2GroupSchema },
    errors: [404, 409],
  },
  'GET /api/v1/coverage': {
    tag: 'Catálogo',
    summary: 'Polígonos de cobertura',
    success: { status: 200, description: 'GeoJSON FeatureCollection.', schema: r.coverageCollectionSchema },
  },
  'PUT /api/v1/coverage': {
    tag: 'Catálogo',
    summary: 'Reemplazar los polígonos de cobertura',
    body: {
      schema: coverageInput,
      names: 'kept',
      maxBytes: 2 * 1024 * 1024,
      example: {
        type: 'FeatureCollection',
        features: [
          {
            type: 'Feature',
            geometry: { type: 'Polygon', coordinates: POLYGON },
            properties: { area: 'metepec', technology: 'fiber', locality: 'Metepec centro' },
          },
        ],
      },
    },
    success: { status: 200, description: 'Cuántos polígonos quedaron.', schema: r.coverageResultSchema },
  },

  // ---- Incidents
  'POST /api/v1/incidents': {
    tag: 'Incidentes',
    summary: 'Publicar un incidente',
    description: 'Crea el incidente con su primera actualización, mueve los componentes y avisa a los suscriptores.',
    body: { schema: createIncidentInput, names: 'public', example: INCIDENT_EXAMPLE },
    success: { status: 201, description: 'El incidente publicado.', schema: r.nocIncidentSchema },
  },
  'GET /api/v1/incidents/:id': {
    tag: 'Incidentes',
    summary: 'Un incidente',
    params: { id: id('del incidente') },
    success: { status: 200, description: 'El incidente, con sus elementos de red.', schema: r.nocIncidentSchema },
    errors: [404],
  },
  'POST /api/v1/incidents/:id/updates': {
    tag: 'Incidentes',
    summary: 'Publicar una actualización',
    params: { id: id('del incidente') },
    body: {
      schema: incidentUpdateInput,
      names: 'public',
      example: {
        status: 'resolved',
        body: 'La fibra quedó empalmada y los enlaces de Metepec funcionan con normalidad.',
        components: { 'metepec-fibra': 'operational' },
      },
    },
    success: { status: 201, description: 'El incidente con la actualización.', schema: r.nocIncidentSchema },
    errors: [404, 409],
  },
  'PATCH /api/v1/incidents/:id': {
    tag: 'Incidentes',
    summary: 'Corregir nombre, impacto, causa o estimación',
    params: { id: id('del incidente') },
    body: { schema: incidentPatchInput, names: 'public', example: { cause: 'Corte de fibra por obra municipal' } },
    success: { status: 200, description: 'El incidente corregido.', schema: r.nocIncidentSchema },
    errors: [404],
  },
  'PATCH /api/v1/incidents/:id/updates/:updateId': {
    tag: 'Incidentes',
    summary: 'Corregir el texto de una actualización',
    params: { id: id('del incidente'), updateId: id('de la actualización') },
    body: {
      schema: incidentUpdatePatchInput,
      names: 'public',
      example: { body: 'Una cuadrilla trabaja en el corte de fibra de avenida Tecnológico, en Metepec.' },
    },
    success: { status: 200, description: 'El incidente corregido.', schema: r.nocIncidentSchema },
    errors: [404],
  },
  'PUT /api/v1/incidents/:id/report': {
    tag: 'Incidentes',
    summary: 'Publicar o revisar el informe del incidente',
    description: 'Una versión nueva cuando el texto cambió; 201 la primera vez.',
    params: { id: id('del incidente') },
    body: {
      schema: incidentReportInput,
      names: 'public',
      example: { body: '## Qué pasó\n\nUna obra municipal cortó el cable troncal de fibra en Metepec.' },
    },
    success: {
      status: 201,
      description: 'El informe publicado (200 si ya existía).',
      schema: r.incidentReportPutSchema,
    },
    errors: [404],
  },
  'GET /api/v1/incidents/:id/report': {
    tag: 'Incidentes',
    summary: 'El informe del incidente',
    params: { id: id('del incidente') },
    success: {
      status: 200,
      description: 'La versión vigente y la lista de versiones.',
      schema: r.incidentReportSchema,
    },
    errors: [404],
  },

  // ---- Maintenance
  'POST /api/v1/maintenances': {
    tag: 'Mantenimiento',
    summary: 'Programar un mantenimiento',
    body: { schema: createMaintenanceInput, names: 'public', example: MAINTENANCE_EXAMPLE },
    success: { status: 201, description: 'El mantenimiento programado.', schema: r.nocMaintenanceSchema },
  },
  'GET /api/v1/maintenances': {
    tag: 'Mantenimiento',
    summary: 'Mantenimientos abiertos y los 50 últimos cerrados',
    success: { status: 200, description: 'Los mantenimientos.', schema: r.nocMaintenanceListSchema },
  },
  'GET /api/v1/maintenances/:id': {
    tag: 'Mantenimiento',
    summary: 'Un mantenimiento',
    params: { id: id('del mantenimiento') },
    success: { status: 200, description: 'El mantenimiento.', schema: r.nocMaintenanceSchema },
    errors: [404],
  },
  'PATCH /api/v1/maintenances/:id': {
    tag: 'Mantenimiento',
    summary: 'Cambiar o reprogramar un mantenimiento',
    params: { id: id('del mantenimiento') },
    body: {
      schema: maintenancePatchInput,
      names: 'public',
      example: {
        scheduled_for: '2026-12-21T01:00:00-06:00',
        scheduled_until: '2026-12-21T04:00:00-06:00',
        reschedule_reason: 'El proveedor entrega las tarjetas un día después.',
      },
    },
    success: { status: 200, description: 'El mantenimiento cambiado.', schema: r.nocMaintenanceSchema },
    errors: [404, 409],
  },
  'POST /api/v1/maintenances/:id/updates': {
    tag: 'Mantenimiento',
    summary: 'Publicar un aviso del mantenimiento (inicio, avance, fin)',
    params: { id: id('del mantenimiento') },
    body: {
      schema: maintenanceUpdateInput,
      names: 'public',
      example: { status: 'scheduled', body: 'Confirmamos la fecha: las tarjetas ya están en el nodo.' },
    },
    success: { status: 201, description: 'El mantenimiento con el aviso.', schema: r.nocMaintenanceSchema },
    errors: [404, 409],
  },
  'POST /api/v1/maintenances/:id/cancel': {
    tag: 'Mantenimiento',
    summary: 'Cancelar un mantenimiento',
    params: { id: id('del mantenimiento') },
    body: {
      schema: cancelMaintenanceInput,
      names: 'public',
      optional: true,
      example: { body: 'Pospuesto hasta enero por la temporada de fin de año.' },
    },
    success: { status: 200, description: 'El mantenimiento cancelado.', schema: r.nocMaintenanceSchema },
    errors: [404, 409],
  },

  // ---- Alerts
  'POST /api/v1/alerts/alertmanager': {
    tag: 'Alertas',
    summary: 'Recibir un grupo de Alertmanager (webhook_config)',
    description: 'El documento de Alertmanager tal cual (versión 4); sus nombres de campo son los de Alertmanager.',
    body: { schema: alertmanagerWebhookInput, names: 'kept', maxBytes: 4 * 1024 * 1024, example: ALERTMANAGER_EXAMPLE },
    success: { status: 200, description: 'Qué pasó con cada alerta.', schema: r.intakeResultSchema },
  },
  'POST /api/v1/alerts/grafana': {
    tag: 'Alertas',
    summary: 'Recibir un aviso de Grafana (contact point webhook)',
    body: { schema: grafanaWebhookInput, names: 'kept', maxBytes: 4 * 1024 * 1024, example: GRAFANA_EXAMPLE },
    success: { status: 200, description: 'Qué pasó con cada alerta.', schema: r.intakeResultSchema },
  },
  'POST /api/v1/alerts': {
    tag: 'Alertas',
    summary: 'Recibir una alerta de cualquier sistema (Zabbix, LibreNMS, scripts)',
    body: {
      schema: genericAlertInput,
      names: 'public',
      example: {
        source: 'zabbix',
        id: 48213,
        status: 'firing',
        component: 'toluca-fibra',
        severity: 'high',
        summary: 'Pérdida de paquetes en el anillo Toluca',
        started_at: '2026-12-07T09:50:00-06:00',
      },
    },
    success: { status: 200, description: 'Qué pasó con la alerta.', schema: r.intakeResultSchema },
  },
  'GET /api/v1/alerts': {
    tag: 'Alertas',
    summary: 'Alertas recibidas y borradores de incidente',
    query: alertListQuery,
    queryExample: { status: 'firing', limit: '20' },
    success: { status: 200, description: 'Alertas y borradores recientes.', schema: r.alertListSchema },
  },
  'GET /api/v1/alert-rules': {
    tag: 'Alertas',
    summary: 'Reglas de alertas',
    success: { status: 200, description: 'El documento de reglas.', schema: r.alertRulesSchema, asRequest: true },
  },
  'PUT /api/v1/alert-rules': {
    tag: 'Alertas',
    summary: 'Reemplazar las reglas de alertas',
    body: {
      schema: alertRulesInput,
      names: 'kept',
      example: {
        default: { mode: 'propose', hold_down_minutes: 5 },
        rules: [{ name: 'OLT Metepec', match: { instance: 'olt-metepec-1' }, components: ['metepec-fibra'] }],
      },
    },
    success: {
      status: 200,
      description: 'El documento de reglas guardado.',
      schema: r.alertRulesSchema,
      asRequest: true,
    },
  },

  // ---- Customer services and reports
  'PUT /api/v1/services': {
    tag: 'Servicios y reportes',
    summary: 'Reemplazar el inventario de servicios de clientes (JSON o CSV)',
    body: {
      // Each row is parsed apart (so every bad row is reported); the document shows the row.
      schema: serviceInventoryInput.extend({ services: z.array(serviceRow).min(1) }),
      names: 'kept',
      maxBytes: 48 * 1024 * 1024,
      example: { services: [SERVICE_EXAMPLE] },
      csv: {
        description:
          'Columnas service_id, customer_id, company, label, technology, component; elements (separados por «;»), monthly_price_mxn, contact_name, contact_email, contact_phone, contact2_…',
        example:
          'service_id,customer_id,company,label,technology,component,contact_name,contact_email\r\nSOM-12345,CLI-0042,Ferretera del Valle,Sucursal Metepec,Fibra óptica,metepec-fibra,Laura Méndez,sistemas@ferreteradelvalle.mx\r\n',
      },
    },
    success: {
      status: 200,
      description: 'Cuántos servicios se crearon, cambiaron o retiraron.',
      schema: r.inventoryResultSchema,
    },
  },
  'GET /api/v1/services': {
    tag: 'Servicios y reportes',
    summary: 'El inventario de servicios',
    query: serviceListQuery,
    queryExample: { customer_id: 'CLI-0042' },
    success: {
      status: 200,
      description: 'Los servicios, en la forma que PUT acepta.',
      schema: r.servicesSchema,
      asRequest: true,
    },
  },
  'GET /api/v1/services/:service_id': {
    tag: 'Servicios y reportes',
    summary: 'Un servicio',
    params: { service_id: { description: 'ID de servicio de la factura.', example: 'SOM-12345' } },
    success: { status: 200, description: 'El servicio.', schema: serviceRow, asRequest: true },
    errors: [404],
  },
  'GET /api/v1/feasibility-requests': {
    tag: 'Servicios y reportes',
    summary: 'Solicitudes de factibilidad recibidas en /cobertura',
    success: { status: 200, description: 'Las solicitudes.', schema: r.feasibilityListSchema },
  },
  'GET /api/v1/reports/availability': {
    tag: 'Servicios y reportes',
    summary: 'Disponibilidad mensual por zona y componente',
    query: reportQuery,
    queryExample: { month: '2026-11' },
    success: { status: 200, description: 'El mes.', schema: r.availabilityReportSchema, csv: 'also' },
  },
  'GET /api/v1/reports/services': {
    tag: 'Servicios y reportes',
    summary: 'El mes de cada servicio, para facturación',
    query: reportQuery,
    queryExample: { month: '2026-11' },
    success: { status: 200, description: 'El mes por servicio.', schema: r.serviceReportSchema, csv: 'also' },
  },

  // ---- Network quality
  'POST /api/v1/quality': {
    tag: 'Calidad de red',
    summary: 'Enviar muestras de latencia, jitter o pérdida',
    description: 'Cada muestra es ["fecha ISO 8601 con zona", valor]; todo o nada.',
    body: {
      schema: qualityPushInput,
      names: 'public',
      maxBytes: 2 * 1024 * 1024,
      example: {
        series: [
          {
            component: 'metepec-fibra',
            metric: 'latency_ms',
            samples: [
              ['2026-12-07T09:58:00-06:00', 12.3],
              ['2026-12-07T09:59:00-06:00', 14],
            ],
          },
        ],
      },
    },
    success: { status: 200, description: 'Muestras y series guardadas.', schema: r.qualityPushResultSchema },
  },
  'GET /api/v1/quality/sources': {
    tag: 'Calidad de red',
    summary: 'Consultas de Prometheus por zona o componente',
    success: {
      status: 200,
      description: 'Las fuentes y el estado de la lectura.',
      schema: r.qualitySourcesSchema,
      asRequest: true,
    },
  },
  'PUT /api/v1/quality/sources': {
    tag: 'Calidad de red',
    summary: 'Reemplazar las consultas de Prometheus',
    body: {
      schema: qualitySourcesInput,
      names: 'public',
      example: {
        sources: [
          {
            area: 'metepec',
            metrics: { latency_ms: 'avg(probe_icmp_duration_seconds{phase="rtt",zona="metepec"}) * 1000' },
          },
        ],
      },
    },
    success: { status: 200, description: 'Las fuentes guardadas.', schema: r.qualitySourcesSchema, asRequest: true },
  },
  'GET /api/v1/quality/thresholds': {
    tag: 'Calidad de red',
    summary: 'Umbrales que levantan alertas',
    success: { status: 200, description: 'Los umbrales.', schema: r.qualityThresholdsSchema, asRequest: true },
  },
  'PUT /api/v1/quality/thresholds': {
    tag: 'Calidad de red',
    summary: 'Reemplazar los umbrales',
    body: {
      schema: qualityThresholdsInput,
      names: 'public',
      example: { thresholds: [{ area: 'metepec', minutes: 10, rules: [{ metric: 'latency_ms', above: 80 }] }] },
    },
    success: {
      status: 200,
      description: 'Los umbrales guardados.',
      schema: r.qualityThresholdsSchema,
      asRequest: true,
    },
  },

  // ---- Subscribers
  'POST /api/v1/subscribers': {
    tag: 'Suscriptores',
    summary: 'Suscribirse a los avisos (público)',
    description:
      'La respuesta es la misma si la dirección ya estaba suscrita; la suscripción se confirma con el enlace o el código.',
    body: {
      schema: subscriptionInput,
      names: 'public',
      maxBytes: 8 * 1024,
      example: { email: 'sistemas@ferreteradelvalle.mx', components: ['metepec-fibra'] },
    },
    success: { status: 202, description: 'Qué sigue para confirmar.', schema: r.subscriptionStepSchema },
    errors: [429],
  },
  'POST /api/v1/subscribers/verify': {
    tag: 'Suscriptores',
    summary: 'Confirmar un teléfono con su código de 6 dígitos (público)',
    body: {
      schema: codeInput,
      names: 'public',
      maxBytes: 8 * 1024,
      example: { channel: 'sms', address: '+52 722 555 0101', code: '123456' },
    },
    success: { status: 200, description: 'El número queda suscrito.', schema: r.confirmedSchema },
    errors: [401, 409, 429],
    // The code is sent by SMS; the example shows the refusal of one nobody received.
    exampleStatus: 422,
  },
  'POST /api/v1/subscribers/unsubscribe': {
    tag: 'Suscriptores',
    summary: 'Baja en un clic (RFC 8058, público)',
    description:
      'El proveedor de correo envía List-Unsubscribe=One-Click a la dirección de List-Unsubscribe; el token del enlace es la autorización.',
    query: z.strictObject({ token: z.string().meta({ description: 'El token del enlace del correo.' }) }),
    queryExample: { token: `1.${'A'.repeat(43)}` },
    success: {
      status: 200,
      description: 'La baja (removed: false si el enlace ya no vale).',
      schema: r.unsubscribedSchema,
    },
  },
  'POST /api/v1/subscribers/import': {
    tag: 'Suscriptores',
    summary: 'Importar contactos técnicos ya confirmados por SOMNET',
    body: {
      // Each row is parsed apart (so every bad row is reported); the document shows the row.
      schema: importRequestInput.extend({ subscribers: z.array(importRow).min(1).max(10_000) }),
      names: 'kept',
      maxBytes: 4 * 1024 * 1024,
      example: {
        confirmed: true,
        subscribers: [{ email: 'noc@ferreteradelvalle.mx', components: ['metepec-fibra'], customer_id: 'CLI-0042' }],
      },
    },
    success: { status: 201, description: 'Contactos creados y actualizados.', schema: r.importResultSchema },
  },
  'GET /api/v1/subscribers': {
    tag: 'Suscriptores',
    summary: 'Suscriptores',
    query: subscriberListQuery,
    queryExample: { channel: 'email' },
    success: {
      status: 200,
      description: 'Los suscriptores.',
      schema: z.object({ subscribers: z.array(r.subscriberSchema) }),
    },
  },
  'GET /api/v1/subscribers.csv': {
    tag: 'Suscriptores',
    summary: 'Suscriptores en CSV',
    success: {
      status: 200,
      description:
        'Columnas id, email, kind, customer_id, confirmed_at, created_at, components, channel, address (teléfonos y webhooks enmascarados).',
      csv: 'only',
    },
  },
  'DELETE /api/v1/subscribers/:id': {
    tag: 'Suscriptores',
    summary: 'Dar de baja a un suscriptor',
    params: { id: id('del suscriptor') },
    success: { status: 204, description: 'Dado de baja.' },
    errors: [404],
  },
  'GET /api/v1/email/outbox': {
    tag: 'Suscriptores',
    summary: 'Entrega de correos: pendientes, enviados y fallidos',
    success: { status: 200, description: 'Recuentos y fallos.', schema: r.emailOutboxSchema },
  },
  'GET /api/v1/notifications/outbox': {
    tag: 'Suscriptores',
    summary: 'Entrega por canal (correo, SMS, WhatsApp, Telegram, chats, webhooks)',
    success: { status: 200, description: 'Estado por canal.', schema: r.notificationsOutboxSchema },
  },

  // ---- Webhooks
  'POST /api/v1/webhooks': {
    tag: 'Webhooks',
    summary: 'Registrar un webhook',
    body: {
      schema: webhookEndpointInput,
      names: 'public',
      example: { url: 'https://intranet.ejemplo.mx/somnet', components: ['metepec-fibra'], description: 'Acme' },
    },
    success: {
      status: 201,
      description: 'El webhook, con su secreto (solo esta vez).',
      schema: r.webhookCreatedSchema,
    },
  },
  'GET /api/v1/webhooks': {
    tag: 'Webhooks',
    summary: 'Webhooks y su salud',
    success: { status: 200, description: 'Los webhooks.', schema: z.object({ webhooks: z.array(r.webhookSchema) }) },
  },
  'GET /api/v1/webhooks/:id': {
    tag: 'Webhooks',
    summary: 'Un webhook',
    params: { id: id('del webhook') },
    success: { status: 200, description: 'El webhook.', schema: r.webhookSchema },
    errors: [404],
  },
  'POST /api/v1/webhooks/:id/enable': {
    tag: 'Webhooks',
    summary: 'Reactivar un webhook desactivado por fallas',
    params: { id: id('del webhook') },
    success: { status: 200, description: 'El webhook.', schema: r.webhookSchema },
    errors: [404],
  },
  'DELETE /api/v1/webhooks/:id': {
    tag: 'Webhooks',
    summary: 'Borrar un webhook',
    params: { id: id('del webhook') },
    success: { status: 204, description: 'Borrado.' },
    errors: [404],
  },
};

/** The public Statuspage documents: one operation each, answering its schema from responses.ts. */
export const v2Summaries: Record<keyof typeof r.v2Documents, string> = {
  'summary.json': 'Resumen: página, componentes, incidentes abiertos, mantenimientos y estado general',
  'status.json': 'Estado general',
  'components.json': 'Componentes y zonas',
  'incidents.json': 'Los 50 incidentes más recientes',
  'incidents/unresolved.json': 'Incidentes abiertos',
  'scheduled-maintenances.json': 'Los 50 mantenimientos más recientes',
  'scheduled-maintenances/upcoming.json': 'Mantenimientos por venir',
  'scheduled-maintenances/active.json': 'Mantenimientos en curso',
};
