/**
 * Every route the API serves (API.md's tables, as implemented), written as the OpenAPI document writes them.
 * The authorization matrix must cover each one, and the OpenAPI document must list exactly these.
 */
export type HttpMethod = 'get' | 'post' | 'patch' | 'put' | 'delete';

export interface ServedRoute {
  method: HttpMethod;
  path: string;
}

export const SERVED_ROUTES: readonly ServedRoute[] = [
  { method: 'post', path: '/api/v1/auth/register/' },
  { method: 'post', path: '/api/v1/auth/login/' },
  { method: 'post', path: '/api/token/' },
  { method: 'post', path: '/api/v1/auth/refresh/' },
  { method: 'post', path: '/api/token/refresh/' },
  { method: 'post', path: '/api/v1/auth/logout/' },
  { method: 'get', path: '/api/v1/me/' },
  { method: 'patch', path: '/api/v1/me/' },
  { method: 'post', path: '/api/v1/organizations/' },
  { method: 'get', path: '/api/v1/organizations/' },
  { method: 'get', path: '/api/v1/organizations/{id}/' },
  { method: 'patch', path: '/api/v1/organizations/{id}/' },
  { method: 'get', path: '/api/v1/organizations/{id}/members/' },
  { method: 'post', path: '/api/v1/organizations/{id}/members/' },
  { method: 'patch', path: '/api/v1/organizations/{id}/members/{user_id}/' },
  { method: 'delete', path: '/api/v1/organizations/{id}/members/{user_id}/' },
  { method: 'get', path: '/api/v1/organizations/{id}/audit/' },
  { method: 'get', path: '/api/v1/memberships/' },
  { method: 'post', path: '/api/v1/projects/' },
  { method: 'get', path: '/api/v1/projects/' },
  { method: 'get', path: '/api/v1/projects/{id}/' },
  { method: 'get', path: '/api/v1/projects/{id}/issues/' },
  { method: 'patch', path: '/api/v1/projects/{id}/' },
  { method: 'delete', path: '/api/v1/projects/{id}/' },
  { method: 'post', path: '/api/v1/issues/' },
  { method: 'get', path: '/api/v1/issues/' },
  { method: 'get', path: '/api/v1/issues/{id}/' },
  { method: 'patch', path: '/api/v1/issues/{id}/' },
  { method: 'delete', path: '/api/v1/issues/{id}/' },
  { method: 'post', path: '/api/v1/issues/{id}/restore/' },
  { method: 'get', path: '/api/v1/issues/{id}/history/' },
  { method: 'post', path: '/api/v1/issues/{id}/attachments/' },
  { method: 'post', path: '/api/v1/issues/{id}/upload/' },
  { method: 'get', path: '/api/v1/issues/{id}/attachments/' },
  { method: 'get', path: '/api/v1/attachments/{id}/content/' },
  { method: 'delete', path: '/api/v1/attachments/{id}/' },
  { method: 'post', path: '/api/v1/organizations/{id}/labels/' },
  { method: 'get', path: '/api/v1/organizations/{id}/labels/' },
  { method: 'patch', path: '/api/v1/labels/{id}/' },
  { method: 'delete', path: '/api/v1/labels/{id}/' },
  { method: 'post', path: '/api/v1/issues/{id}/comments/' },
  { method: 'get', path: '/api/v1/issues/{id}/comments/' },
  { method: 'patch', path: '/api/v1/comments/{id}/' },
  { method: 'delete', path: '/api/v1/comments/{id}/' },
  { method: 'post', path: '/api/v1/issues/{id}/watch/' },
  { method: 'delete', path: '/api/v1/issues/{id}/watch/' },
  { method: 'get', path: '/api/v1/notifications/' },
  { method: 'post', path: '/api/v1/notifications/{id}/read/' },
  { method: 'post', path: '/api/v1/notifications/read-all/' },
  { method: 'get', path: '/api/v1/admin/jobs/' },
  { method: 'post', path: '/api/v1/admin/jobs/{name}/run/' },
  { method: 'get', path: '/api/v1/admin/events/' },
  { method: 'get', path: '/api/v1/admin/streams/{stream}/' },
  { method: 'get', path: '/api/v1/admin/projections/' },
  { method: 'post', path: '/api/v1/admin/projections/{name}/rebuild/' },
];

export const routeKey = (route: ServedRoute): string => `${route.method.toUpperCase()} ${route.path}`;
