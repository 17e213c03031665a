// Which customer services an incident or a maintenance reaches: the one rule, as a pure function
// over plain values, so the notices, the console's counts, the "¿Me afecta?" page and the
// per-service statements all answer the same way.
//
// A service is affected when its component is named (directly, or through its area), or when
// the incident or maintenance names a network element the service traverses.

/** What the rule needs to know about a service. */
export interface ServiceFootprint {
  serviceId: string;
  componentId: string;
  /** The area (component group) of its component, if any. */
  groupId: string | null;
  /** Network elements it traverses, in the canonical form of `normalizeElement`. */
  elements: readonly string[];
}

/** What an incident or a maintenance names. */
export interface AffectedScope {
  componentIds?: Iterable<string>;
  /** Areas named as a whole (every component in them). */
  groupIds?: Iterable<string>;
  /** Network elements, in any case: compared through `normalizeElement`. */
  elements?: Iterable<string>;
}

export type AffectedReason = 'component' | 'area' | 'element';

export interface AffectedService<S extends ServiceFootprint> {
  service: S;
  /** Why it is affected (in this order when several hold). */
  reasons: AffectedReason[];
  /** The named elements it traverses (empty unless `reasons` has 'element'). */
  elements: string[];
}

/** A service ID as stored: trimmed, upper-case (lookups ignore case: "som-12345" finds SOM-12345). */
export function canonicalServiceId(id: string): string {
  const upper = id.trim().toUpperCase();
  // What people type for SOM-10231: « som 10231», «som10231», «SOM_10231», «SOM - 10231».
  const prefixed = /^(\p{L}+)[\s._-]*(\d+)$/u.exec(upper);
  return prefixed ? `${prefixed[1]}-${prefixed[2]}` : upper;
}

/** Element identifiers compare without regard to case or surrounding spaces: "olt-met-01" is OLT-MET-01. */
export function normalizeElement(element: string): string {
  return element.trim().toUpperCase();
}

/** A scope prepared once for many services. */
export function scopeMatcher(scope: AffectedScope) {
  const componentIds = new Set(scope.componentIds ?? []);
  const groupIds = new Set(scope.groupIds ?? []);
  const elements = new Set([...(scope.elements ?? [])].map(normalizeElement));
  return <S extends ServiceFootprint>(service: S): AffectedService<S> | null => {
    const reasons: AffectedReason[] = [];
    if (componentIds.has(service.componentId)) reasons.push('component');
    if (service.groupId !== null && groupIds.has(service.groupId)) reasons.push('area');
    const crossed = elements.size === 0 ? [] : service.elements.filter((e) => elements.has(e));
    if (crossed.length > 0) reasons.push('element');
    return reasons.length > 0 ? { service, reasons, elements: crossed } : null;
  };
}

/** Whether one service is affected, and why; null when it is not. */
export function serviceAffectedBy<S extends ServiceFootprint>(
  service: S,
  scope: AffectedScope,
): AffectedService<S> | null {
  return scopeMatcher(scope)(service);
}

/** The affected services among `services`, in their order. */
export function affectedServices<S extends ServiceFootprint>(
  services: readonly S[],
  scope: AffectedScope,
): AffectedService<S>[] {
  const match = scopeMatcher(scope);
  const out: AffectedService<S>[] = [];
  for (const s of services) {
    const hit = match(s);
    if (hit) out.push(hit);
  }
  return out;
}
