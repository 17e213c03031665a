// Builds the site once for the page and browser tests when the build is missing or stale.
import { ensureBuilt } from '../../api/build.ts';

export default async function setup() {
  await ensureBuilt({ quiet: true });
}
