// The time zone is named once per page: the first time a page shows with its zone
// says «(hora del centro de México)», the others only the time. Keyed by the request being
// rendered, so two pages rendered at once never share the flag.
const named = new WeakSet<Request>();

/** True the first time it is asked for this request, false afterwards. */
export function firstZoneMention(request: Request): boolean {
  if (named.has(request)) return false;
  named.add(request);
  return true;
}
