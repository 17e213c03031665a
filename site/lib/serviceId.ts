// The service ID a customer types or a link carries (?servicio=), read the one way every page
// does: through the inventory's own rule (serviceIdText in db/commands/services.ts).
import { clip, LIMITS } from '#db/commands/input.ts';
import { serviceIdText } from '#db/commands/services.ts';

/** The canonical ID (upper-case), or the Spanish message the field shows; empty input is `null`. */
export function readServiceId(raw: string | null | undefined): { id: string } | { error: string } | null {
  const value = clip(raw?.trim(), LIMITS.serviceId);
  if (value.trim() === '') return null;
  const parsed = serviceIdText.safeParse(value);
  return parsed.success
    ? { id: parsed.data }
    : { error: parsed.error.issues[0]?.message ?? 'Revise el ID de servicio.' };
}

/** For pages that only carry the ID along (ticket text, self-diagnosis): a valid ID or ''. */
export function serviceIdOrEmpty(raw: string | null | undefined): string {
  const read = readServiceId(raw);
  return read && 'id' in read ? read.id : '';
}
