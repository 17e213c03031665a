// Helpers for /cobertura that depend on nothing but their input.

/**
 * The origin to allow in img-src for a tile URL template. "{s}" subdomains become a wildcard
 * ("https://*.tile.example.org"), which CSP allows as the leftmost label.
 */
export function tileOrigin(template: string): string | null {
  try {
    const u = new URL(template.replace('{s}', 'subdomain-placeholder').replace(/\{[a-z]+\}/g, '0'));
    return `${u.protocol}//${u.host.replace('subdomain-placeholder', '*')}`;
  } catch {
    return null;
  }
}

/** The site's policy (api/pages.ts PAGE_HEADERS) with the tile host added to img-src only. */
export function coveragePageCsp(template: string): string {
  const origin = tileOrigin(template);
  return [
    "default-src 'self'",
    `img-src 'self' data:${origin ? ` ${origin}` : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "script-src 'self'",
    "frame-ancestors 'self'",
    "base-uri 'self'",
    "form-action 'self'",
  ].join('; ');
}
