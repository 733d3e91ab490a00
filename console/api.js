// The console's reads (GET /api/...) and actions (the Step Functions API, POST /).

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// GET /api/<path> → parsed JSON; an ApiError with the server's code and message otherwise.
export async function api(path, {signal} = {}) {
  let response;
  try {
    response = await fetch(`/api/${path}`, {signal, headers: {Accept: 'application/json'}});
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'Unreachable', `the server did not answer (${e.message})`);
  }
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) {
    const err = body && body.error ? body.error : {};
    throw new ApiError(response.status, err.code || `HTTP ${response.status}`,
                       err.message || text.slice(0, 300) || response.statusText);
  }
  return body;
}

export class ActionError extends Error {
  constructor(type, message) {
    super(message);
    this.type = type;
  }
}

// An answer's text and its JSON ({} when empty, null when not JSON).
async function readAnswer(response) {
  const text = await response.text();
  try {
    return {text, parsed: text ? JSON.parse(text) : {}};
  } catch {
    return {text, parsed: null};
  }
}

// POST / with X-Amz-Target: AWSStepFunctions.<action>. A failed call throws an ActionError
// carrying the answer's "__type" and "message".
export async function sfn(action, body) {
  let response;
  try {
    response = await fetch('/', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.0',
        'X-Amz-Target': `AWSStepFunctions.${action}`,
      },
      body: JSON.stringify(body),
    });
  } catch (e) {
    throw new ActionError('Unreachable', `the server did not answer (${e.message})`);
  }
  const {text, parsed} = await readAnswer(response);
  if (!response.ok) {
    const type = parsed && (parsed.__type || parsed.code) ? String(parsed.__type || parsed.code) : `HTTP ${response.status}`;
    const message = parsed && (parsed.message || parsed.Message) ? String(parsed.message || parsed.Message)
                                                                  : text.slice(0, 300);
    // "__type" may be "namespace#Name": keep the name.
    throw new ActionError(type.includes('#') ? type.slice(type.indexOf('#') + 1) : type, message);
  }
  return parsed || {};
}

// POST (or DELETE) /api/<path> for the console's own writes (triggers): parsed JSON, an
// ActionError with the server's code and message otherwise.
export async function write(path, {method = 'POST', body} = {}) {
  let response;
  try {
    response = await fetch(`/api/${path}`, {method, headers: {'Content-Type': 'application/json'},
                                            body: body === undefined ? undefined : JSON.stringify(body)});
  } catch (e) {
    throw new ActionError('Unreachable', `the server did not answer (${e.message})`);
  }
  const {text, parsed} = await readAnswer(response);
  if (!response.ok) {
    const err = parsed && parsed.error ? parsed.error : {};
    throw new ActionError(err.code || `HTTP ${response.status}`, err.message || text.slice(0, 300));
  }
  return parsed || {};
}

// Layouts are kept per machine version for the page's lifetime (they never change).
const layouts = new Map();
export function layout(machine, version) {
  const key = `${machine}\u0000${version}`;
  if (!layouts.has(key)) {
    const p = api(`machines/${encodeURIComponent(machine)}/versions/${encodeURIComponent(version)}/layout`);
    p.catch(() => layouts.delete(key));
    layouts.set(key, p);
  }
  return layouts.get(key);
}

const versions = new Map();
export function machineVersion(machine, version) {
  const key = `${machine}\u0000${version}`;
  if (version === 'latest') return api(`machines/${encodeURIComponent(machine)}/versions/latest`);
  if (!versions.has(key)) {
    const p = api(`machines/${encodeURIComponent(machine)}/versions/${encodeURIComponent(version)}`);
    p.catch(() => versions.delete(key));
    versions.set(key, p);
  }
  return versions.get(key);
}

// The execution id of the execution with ARN `arn` of machine `machine` (its name is the
// ARN's last segment). Retries briefly: a just-started execution may not be listed yet.
export async function executionIdOf(machine, arn) {
  const name = arn.slice(arn.lastIndexOf(':') + 1);
  for (let attempt = 0; attempt < 10; attempt++) {
    const page = await api(`executions?machine=${encodeURIComponent(machine)}&name=${encodeURIComponent(name)}&limit=50`);
    const hit = (page.executions || []).find((e) => e.arn === arn) ||
                (page.executions || []).find((e) => e.name === name);
    if (hit) return hit.id;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  return null;
}
