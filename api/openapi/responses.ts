// What the API answers, as zod schemas: the API description (api/openapi/document.ts) converts
// them to JSON Schema, and test/api/openapi.test.ts parses every documented example's real answer
// with them, so a renderer that changes a field without changing its schema fails a test.
//
// Requests need no schemas here: they are the commands' own input schemas (db/commands/*).
// Answers are built by plain functions (api/render/*), so their shape is stated once here.
import { z } from 'zod';
import {
  alertEffects,
  alertModes,
  alertStatuses,
  componentStatuses,
  draftStates,
  incidentImpacts,
  incidentStatuses,
  maintenanceImpactKinds,
  maintenanceStatuses,
  maintenanceUpdateKinds,
  statusIndicators,
  subscriberChannels,
} from '#db/enums.ts';
import { alertRulesInput } from '#db/commands/alertRules.ts';
import { serviceRow } from '#db/commands/services.ts';
import { qualitySourcesInput, qualityThresholdsInput } from '#db/commands/quality.ts';

const timestamp = z.iso.datetime({ offset: true }).meta({ description: 'RFC 3339, en UTC.' });
const nullableTimestamp = timestamp.nullable();
const componentStatus = z.enum(componentStatuses);

/** The one error shape of every API answer (api/errors.ts). */
export const errorBody = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'Identificador estable en inglés: validation_failed, not_found…' }),
      message: z.string().meta({ description: 'Explicación en español para personas.' }),
      fields: z
        .array(
          z.object({
            path: z
              .string()
              .meta({ description: 'Ruta del campo con los nombres de la solicitud: started_at, components.3.' }),
            message: z.string(),
          }),
        )
        .optional()
        .meta({ description: 'Solo cuando hay campos con errores.' }),
    }),
  })
  .meta({ id: 'Error' });

export const v2PageSchema = z
  .object({ id: z.string(), name: z.string(), url: z.string(), time_zone: z.string(), updated_at: nullableTimestamp })
  .meta({ id: 'Page' });

/** What Statuspage's components and groups share (one flat list holds both). */
const componentFields = {
  id: z.string(),
  name: z.string(),
  status: componentStatus,
  created_at: nullableTimestamp,
  updated_at: nullableTimestamp,
  position: z.number().int(),
  description: z.string().nullable(),
  page_id: z.string(),
  only_show_if_degraded: z.boolean(),
};

export const v2ComponentSchema = z
  .object({
    ...componentFields,
    showcase: z.literal(true),
    start_date: z.iso.date(),
    group_id: z.string().nullable(),
    group: z.literal(false),
    somnet: z.object({ slug: z.string(), full_name: z.string(), status_label: z.string() }),
  })
  .meta({ id: 'Component' });

export const v2GroupSchema = z
  .object({
    ...componentFields,
    showcase: z.literal(false),
    start_date: z.null(),
    group_id: z.null(),
    group: z.literal(true),
    components: z.array(z.string()),
    somnet: z.object({ slug: z.string(), status_label: z.string() }),
  })
  .meta({ id: 'ComponentGroup', description: 'Una zona: un grupo de componentes.' });

const affectedComponent = z.object({
  code: z.string(),
  name: z.string(),
  old_status: componentStatus.nullable(),
  new_status: componentStatus,
});

/** A maintenance is an incident to Statuspage: its notices are incident updates. */
const updateFields = {
  id: z.string(),
  body: z.string(),
  incident_id: z.string(),
  created_at: nullableTimestamp,
  updated_at: nullableTimestamp,
  display_at: nullableTimestamp,
  affected_components: z.array(affectedComponent),
  deliver_notifications: z.boolean(),
};
const incidentFields = {
  id: z.string(),
  name: z.string(),
  created_at: nullableTimestamp,
  updated_at: nullableTimestamp,
  monitoring_at: nullableTimestamp,
  resolved_at: nullableTimestamp,
  shortlink: z.string(),
  started_at: nullableTimestamp,
  page_id: z.string(),
  components: z.array(v2ComponentSchema),
};

export const v2IncidentUpdateSchema = z
  .object({
    ...updateFields,
    status: z.enum(incidentStatuses),
    somnet: z.object({ status_label: z.string(), cause: z.string().nullable(), eta: nullableTimestamp }),
  })
  .meta({ id: 'IncidentUpdate' });

export const v2IncidentSchema = z
  .object({
    ...incidentFields,
    status: z.enum(incidentStatuses),
    impact: z.enum(incidentImpacts),
    incident_updates: z.array(v2IncidentUpdateSchema),
    somnet: z.object({
      url: z.string(),
      status_label: z.string(),
      impact_label: z.string(),
      cause: z.string().nullable(),
      eta: nullableTimestamp,
      eta_text: z
        .string()
        .nullable()
        .describe(
          'The ETA as the page says it: the local time with its zone, «Por confirmar» while none; null once resolved.',
        ),
    }),
  })
  .meta({ id: 'Incident' });

export const v2MaintenanceSchema = z
  .object({
    ...incidentFields,
    status: z.enum(maintenanceStatuses),
    impact: z.literal('maintenance'),
    incident_updates: z.array(
      z.object({
        ...updateFields,
        status: z.enum(maintenanceStatuses),
        somnet: z.object({ kind: z.enum(maintenanceUpdateKinds), status_label: z.string() }),
      }),
    ),
    scheduled_for: nullableTimestamp,
    scheduled_until: nullableTimestamp,
    somnet: z.object({
      url: z.string(),
      ics_url: z.string(),
      status_label: z.string(),
      impact_kind: z.enum(maintenanceImpactKinds),
      impact_label: z.string(),
      emergency: z.boolean(),
      emergency_reason: z.string().nullable(),
      low_impact_window: z.boolean(),
      auto_transition: z.boolean(),
      notice_hours: z.number().int(),
      reschedules: z.array(
        z.object({
          previous_for: nullableTimestamp,
          previous_until: nullableTimestamp,
          scheduled_for: nullableTimestamp,
          scheduled_until: nullableTimestamp,
          reason: z.string().nullable(),
          at: nullableTimestamp,
        }),
      ),
    }),
  })
  .meta({ id: 'ScheduledMaintenance' });

const overallStatus = z.object({ indicator: z.enum(statusIndicators), description: z.string() });
const componentOrGroup = z.union([v2GroupSchema, v2ComponentSchema]);

/** The public Statuspage documents, by their path under /api/v2. */
export const v2Documents = {
  'summary.json': z.object({
    page: v2PageSchema,
    components: z.array(componentOrGroup),
    incidents: z.array(v2IncidentSchema),
    scheduled_maintenances: z.array(v2MaintenanceSchema),
    status: overallStatus,
  }),
  'status.json': z.object({ page: v2PageSchema, status: overallStatus }),
  'components.json': z.object({ page: v2PageSchema, components: z.array(componentOrGroup) }),
  'incidents.json': z.object({ page: v2PageSchema, incidents: z.array(v2IncidentSchema) }),
  'incidents/unresolved.json': z.object({ page: v2PageSchema, incidents: z.array(v2IncidentSchema) }),
  'scheduled-maintenances.json': z.object({ page: v2PageSchema, scheduled_maintenances: z.array(v2MaintenanceSchema) }),
  'scheduled-maintenances/upcoming.json': z.object({
    page: v2PageSchema,
    scheduled_maintenances: z.array(v2MaintenanceSchema),
  }),
  'scheduled-maintenances/active.json': z.object({
    page: v2PageSchema,
    scheduled_maintenances: z.array(v2MaintenanceSchema),
  }),
} as const;

// ---- /api/v1: the NOC's objects.

export const nocIncidentSchema = v2IncidentSchema
  .extend({ elements: z.array(z.string()).meta({ description: 'Elementos de red (solo el NOC los ve).' }) })
  .meta({ id: 'NocIncident' });

const maintenanceWarning = z.object({ code: z.literal('low_impact_window'), message: z.string() });
export const nocMaintenanceSchema = v2MaintenanceSchema
  .extend({
    low_impact_window: z.boolean(),
    emergency: z.boolean(),
    elements: z.array(z.string()),
    warnings: z.array(maintenanceWarning).optional().meta({ description: 'Solo en la respuesta a POST y PATCH.' }),
  })
  .meta({ id: 'NocMaintenance' });
export const nocMaintenanceListSchema = z.object({
  scheduled_maintenances: z.array(
    v2MaintenanceSchema.extend({ low_impact_window: z.boolean(), emergency: z.boolean() }),
  ),
});

export const catalogueSchema = z.object({ components: z.array(v2ComponentSchema), groups: z.array(v2GroupSchema) });

export const incidentReportSchema = z
  .object({
    incident_id: z.string(),
    version: z.number().int(),
    body: z.string(),
    html: z.string(),
    url: z.string(),
    published_at: timestamp,
    revised_at: timestamp,
    author: z.string(),
    versions: z.array(z.object({ version: z.number().int(), created_at: timestamp, author: z.string() })),
  })
  .meta({ id: 'IncidentReport' });
export const incidentReportPutSchema = incidentReportSchema.extend({ changed: z.boolean(), emailed: z.number().int() });

export const webhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    description: z.string().nullable(),
    components: z.array(z.string()).nullable(),
    groups: z.array(z.string()).nullable(),
    enabled: z.boolean(),
    disabled_at: nullableTimestamp,
    disabled_reason: z.string().nullable(),
    consecutive_failures: z.number().int(),
    failing_since: nullableTimestamp,
    last_attempt_at: nullableTimestamp,
    last_success_at: nullableTimestamp,
    last_failure_at: nullableTimestamp,
    last_error: z.string().nullable(),
    deliveries: z.object({ pending: z.number().int(), sent: z.number().int(), failed: z.number().int() }),
    created_at: nullableTimestamp,
  })
  .meta({ id: 'WebhookEndpoint' });
export const webhookCreatedSchema = webhookSchema.extend({
  secret: z.string().meta({ description: 'Solo en esta respuesta; firme con él X-Somnet-Signature.' }),
});

export const subscriberSchema = z
  .object({
    id: z.string(),
    channel: z.enum(subscriberChannels),
    address: z.string(),
    email: z.string().nullable(),
    kind: z.string(),
    customer_id: z.string().nullable(),
    confirmed_at: nullableTimestamp,
    created_at: timestamp,
    all_components: z.boolean(),
    components: z.array(z.string()),
    component_slugs: z.array(z.string()),
  })
  .meta({ id: 'Subscriber' });

export const subscriptionStepSchema = z.object({
  status: z.enum(['pending_confirmation', 'pending_code']),
  message: z.string(),
});
export const confirmedSchema = z.object({ status: z.literal('confirmed'), message: z.string() });
export const unsubscribedSchema = z.object({
  status: z.literal('unsubscribed'),
  message: z.string(),
  removed: z.boolean(),
});
export const importResultSchema = z.object({ created: z.number().int(), updated: z.number().int() });

const outboxCounts = {
  pending: z.number().int(),
  sent: z.number().int(),
  failed: z.number().int(),
  cancelled: z.number().int(),
};
export const emailOutboxSchema = z.object({
  ...outboxCounts,
  last_error: z.string().nullable(),
  failures: z.array(
    z.object({
      id: z.string(),
      kind: z.string(),
      recipient: z.string(),
      attempts: z.number().int(),
      error: z.string().nullable(),
      created_at: timestamp,
    }),
  ),
});
export const notificationsOutboxSchema = z.object({
  channels: z.array(z.looseObject({ channel: z.string() })).meta({ description: 'Estado de entrega por canal.' }),
  preparing: z.object({ fanouts: z.number().int(), total: z.number().int(), expanded: z.number().int() }).meta({
    description:
      'Avisos cuyos mensajes por destinatario aún se están preparando: cuántos avisos, cuántos destinatarios en total y cuántos ya tienen su mensaje en la cola (los mensajes de un aviso grande se preparan en tandas justo después de guardar el cambio).',
  }),
});

const alertComponentRef = z.object({ id: z.string(), slug: z.string(), name: z.string() });
export const alertSchema = z
  .object({
    id: z.string(),
    source: z.string(),
    fingerprint: z.string(),
    status: z.enum(alertStatuses),
    labels: z.record(z.string(), z.string()),
    components: z.array(alertComponentRef),
    starts_at: timestamp,
    ends_at: nullableTimestamp,
    draft_incident_id: z.string().nullable(),
    incident_id: z.string().nullable(),
    format: z.string(),
    receiver: z.string().nullable(),
    severity: z.string().nullable(),
    summary: z.string().nullable(),
    annotations: z.record(z.string(), z.string()),
    url: z.string().nullable(),
    effect: z.enum(alertEffects),
    mode: z.enum(alertModes).nullable(),
    proposed_status: componentStatus.nullable(),
    rule: z.string().nullable(),
    note: z.string().nullable(),
    unmatched_refs: z.array(z.string()),
    flapping: z.boolean(),
    flap_count: z.number().int(),
    received_at: timestamp,
    last_received_at: timestamp,
    resolved_at: nullableTimestamp,
  })
  .meta({ id: 'Alert' });
export const draftSchema = z
  .object({
    id: z.string(),
    state: z.enum(draftStates),
    name: z.string(),
    impact: z.enum(incidentImpacts),
    status: z.enum(incidentStatuses),
    cause: z.string().nullable(),
    body: z.string(),
    components: z.record(z.string(), componentStatus),
    template: z.string().nullable(),
    started_at: timestamp,
    last_alert_at: timestamp,
    created_at: timestamp,
    incident_id: z.string().nullable(),
    closed_at: nullableTimestamp,
    closed_by: z.string().nullable(),
    discard_reason: z.string().nullable(),
    alert_ids: z.array(z.string()),
  })
  .meta({ id: 'IncidentDraft' });
export const alertListSchema = z.object({ alerts: z.array(alertSchema), drafts: z.array(draftSchema) });
export const intakeResultSchema = z
  .object({
    delivery_id: z.number().int(),
    duplicate: z.boolean(),
    alerts: z.array(
      z.object({
        id: z.string(),
        fingerprint: z.string(),
        status: z.enum(alertStatuses),
        change: z.string(),
        effect: z.enum(alertEffects),
        components: z.array(z.string()),
        note: z.string().nullable(),
        draft_incident_id: z.string().nullable(),
        incident_id: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'AlertIntakeResult' });
/** GET answers what PUT takes (with components as slugs), plus who changed it last. */
export const alertRulesSchema = alertRulesInput.extend({
  updated_at: nullableTimestamp,
  updated_by: z.string().nullable(),
});

/** A service as GET shows it: the row PUT takes, so a GET can be sent back as is. */
export const servicesSchema = z.object({ services: z.array(serviceRow) });

export const inventoryResultSchema = z.object({
  services: z.number().int(),
  customers: z.number().int(),
  contacts: z.number().int(),
  elements: z.number().int(),
});

const minutes = z.object({
  observed: z.number(),
  without_service: z.number(),
  intermittent: z.number(),
  degraded: z.number(),
  maintenance_announced: z.number(),
  maintenance_unannounced: z.number(),
  unavailable: z.number(),
});
const reportIncident = z.object({ id: z.string(), name: z.string(), url: z.string() });
const reportComponent = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  full_name: z.string(),
  availability_percent: z.number().nullable(),
  minutes,
  incidents: z.array(reportIncident),
});
export const availabilityReportSchema = z.object({
  month: z.string(),
  time_zone: z.string(),
  from: timestamp,
  to: timestamp,
  complete: z.boolean(),
  method: z.object({ partial_outage_weight: z.number(), maintenance_notice_hours: z.number(), url: z.string() }),
  network: z.object({ availability_percent: z.number().nullable(), minutes, incidents: z.number().int() }),
  groups: z.array(
    z.object({
      id: z.string(),
      slug: z.string(),
      name: z.string(),
      availability_percent: z.number().nullable(),
      minutes,
      incidents: z.array(reportIncident),
      components: z.array(reportComponent),
    }),
  ),
  ungrouped: z.array(reportComponent),
});
export const serviceReportSchema = z.object({
  month: z.string(),
  time_zone: z.string(),
  services: z.array(
    z.object({
      service_id: z.string(),
      customer_id: z.string(),
      company: z.string(),
      label: z.string(),
      technology: z.string(),
      component: z.object({ id: z.string(), slug: z.string(), full_name: z.string() }).nullable(),
      from: timestamp,
      to: timestamp,
      complete: z.boolean(),
      availability_percent: z.number().nullable(),
      minutes,
      incidents: z.array(z.string()),
      maintenances: z.array(z.string()),
      monthly_price_mxn: z.number().nullable(),
      compensation_estimate_mxn: z
        .object({ proportional: z.number(), bonus: z.number(), total: z.number() })
        .nullable(),
      statement_url: z.string(),
    }),
  ),
});

export const coverageCollectionSchema = z.object({
  type: z.literal('FeatureCollection'),
  demo: z.boolean(),
  features: z.array(
    z.object({
      type: z.literal('Feature'),
      geometry: z.looseObject({ type: z.enum(['Polygon', 'MultiPolygon']) }),
      properties: z.object({ area: z.string(), technology: z.string(), locality: z.string() }),
    }),
  ),
});
export const coverageResultSchema = z.object({ features: z.number().int() });
export const feasibilityListSchema = z.object({
  feasibility_requests: z.array(z.looseObject({ id: z.string(), created_at: timestamp })),
});

export const qualityPushResultSchema = z.object({ accepted: z.number().int(), series: z.number().int() });
/** GET answers the document PUT takes (described as input), with the reading's state. */
export const qualitySourcesSchema = z.object({
  sources: qualitySourcesInput.shape.sources,
  status: z.looseObject({}).meta({ description: 'Estado de la lectura desde Prometheus.' }),
});
export const qualityThresholdsSchema = qualityThresholdsInput;
