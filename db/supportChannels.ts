// SOMNET's support channels as the customer manual states them (section 1.2), in one place for
// everything that prints them: pages (site/), emails, /status.txt, feeds and calendars (api/).
// No Drizzle import: the renderers use it without pulling the database in.

/** Canal preferente: tickets, billing and monitoring. */
export const PORTAL_URL = 'https://cliente.somnet.com.mx';
/** Canal secundario: non-urgent requests and additions to a ticket. */
export const SUPPORT_EMAIL = 'soporte@somnet.com.mx';
/** Canal de emergencia: only for a total outage that stops the customer's business. */
export const EMERGENCY_PHONE = '722 167 5865';
/** The same number dialable from a phone (RFC 3966, with Mexico's country code). */
export const EMERGENCY_PHONE_TEL = 'tel:+527221675865';
