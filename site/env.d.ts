/// <reference types="astro/client" />
declare namespace App {
  // Set by api/app.ts for every page: the same database and clock as the API.
  interface Locals extends import('../api/context.ts').PageLocals {}
}
