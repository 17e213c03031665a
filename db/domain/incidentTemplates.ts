import type { ComponentStatus, IncidentImpact, IncidentStatus } from '../enums.ts';
import { criticalityByStatus } from './criticality.ts';

/** A starting point for the composer: everything stays editable before publishing. */
export interface IncidentTemplate {
  id: string;
  label: string;
  name: string;
  status: IncidentStatus;
  /** The criticality its component status means (./criticality.ts), never chosen apart from it. */
  impact: IncidentImpact;
  cause: string;
  body: string;
  /** Status suggested for each component the NOC picks. */
  componentStatus: ComponentStatus;
}

// Wording follows the customer manual: say what is affected, the cause and when service is
// expected back; point to the ticket channels only when customers need to act.
export const incidentTemplates: readonly IncidentTemplate[] = (
  [
    {
      id: 'corte-fibra',
      label: 'Corte de fibra',
      name: 'Corte de fibra óptica',
      status: 'identified',
      cause: 'Corte de fibra óptica por obra civil o daño en la vía pública.',
      body: 'Detectamos un corte de fibra óptica que deja sin servicio a los clientes de la zona. Una cuadrilla va en camino al punto del corte para realizar el empalme. Publicaremos el tiempo estimado de restauración en cuanto la cuadrilla evalúe el daño.',
      componentStatus: 'major_outage',
    },
    {
      id: 'falla-electrica',
      label: 'Falla eléctrica en nodo',
      name: 'Falla eléctrica en nodo',
      status: 'identified',
      cause: 'Falla del suministro eléctrico en el nodo; las baterías de respaldo se agotaron.',
      body: 'Un nodo de nuestra red perdió el suministro eléctrico. Los clientes conectados a ese nodo no tienen servicio. Personal técnico va en camino con una planta de respaldo y estamos en contacto con la compañía eléctrica.',
      componentStatus: 'major_outage',
    },
    {
      id: 'saturacion',
      label: 'Saturación / baja velocidad',
      name: 'Baja velocidad por saturación',
      status: 'investigating',
      cause: 'Saturación de un enlace de la red.',
      body: 'Algunos clientes de la zona pueden notar velocidades menores a las contratadas o latencia alta. Estamos redistribuyendo el tráfico para aliviar el enlace saturado. El servicio sigue disponible.',
      componentStatus: 'degraded_performance',
    },
    {
      id: 'ddos',
      label: 'Ataque DDoS en mitigación',
      name: 'Ataque de denegación de servicio en mitigación',
      status: 'identified',
      cause: 'Ataque de denegación de servicio distribuido (DDoS) contra nuestra red.',
      body: 'Nuestra red está recibiendo un ataque de denegación de servicio. Las medidas de mitigación están activas; durante este tiempo puede haber intermitencia o latencia alta. No es necesario que reinicie su equipo.',
      componentStatus: 'partial_outage',
    },
    {
      id: 'proveedor-transito',
      label: 'Falla del proveedor de tránsito',
      name: 'Falla de un proveedor de tránsito de Internet',
      status: 'identified',
      cause: 'Falla en la red de uno de nuestros proveedores de tránsito de Internet.',
      body: 'Uno de nuestros proveedores de salida a Internet presenta una falla. Estamos enviando el tráfico por rutas alternas; algunos destinos pueden responder con lentitud o intermitencia mientras el proveedor restablece su servicio.',
      componentStatus: 'partial_outage',
    },
    {
      id: 'seguridad',
      label: 'Incidente de seguridad',
      name: 'Incidente de seguridad en investigación',
      status: 'investigating',
      cause: 'Incidente de seguridad en investigación.',
      body: 'Detectamos actividad que podría afectar la seguridad de nuestros servicios y activamos nuestro protocolo de respuesta a incidentes de seguridad. Informaremos aquí lo que sepamos y las acciones que recomendamos a nuestros clientes, en su caso.',
      componentStatus: 'degraded_performance',
    },
  ] satisfies Array<Omit<IncidentTemplate, 'impact'>>
).map((t) => ({ ...t, impact: criticalityByStatus[t.componentStatus] }));

export function incidentTemplate(id: string | null | undefined): IncidentTemplate | undefined {
  return incidentTemplates.find((t) => t.id === id);
}
