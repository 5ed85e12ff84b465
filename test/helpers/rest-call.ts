/** What a REST call answered: its status, and its body parsed as JSON (undefined when empty). */
export interface RestAnswer {
  status: number;
  // The tests read whichever fields the route answers with.
  json: any;
}

/**
 * A REST call as a client makes it, with a JSON body (a string is sent as it is, so a test
 * can send broken JSON) and a bearer token, both optional.
 */
export async function restCall(
  url: string,
  method = 'GET',
  { body, token }: { body?: unknown; token?: string } = {},
): Promise<RestAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, {
    method,
    headers,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}
