// Site constants. SOMNET's support channels (manual 1.2) are in db/supportChannels.ts, which the
// emails and the published documents print too.
export const SITE_NAME = 'Estado de la red SOMNET';
