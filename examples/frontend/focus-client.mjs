// A small Focus Sessions client, as a frontend keeps one: start, read and end a session,
// and the progress line the player shows.

export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = error?.code;
    this.traceId = error?.trace_id;
  }
}

export class FocusClient {
  constructor({ base, apiKey, organization }) {
    this.base = base.replace(/\/+$/, "");
    this.apiKey = apiKey;
    this.organization = organization;
  }

  async #call(method, path, body) {
    const headers = { "X-API-Key": this.apiKey };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const url = `${this.base}/v1/music/${encodeURIComponent(this.organization)}/focus/sessions${path}`;
    const answer = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const payload = await answer.json();
    if (!answer.ok) throw new ApiError(answer.status, payload.error);
    return payload;
  }

  start({ goal, targetMinutes, engine }) {
    return this.#call("POST", "", { goal, target_minutes: targetMinutes, ...(engine ? { engine } : {}) });
  }

  get(sessionId) {
    return this.#call("GET", `/${encodeURIComponent(sessionId)}`);
  }

  end(sessionId) {
    return this.#call("POST", `/${encodeURIComponent(sessionId)}/end`);
  }
}

export function progressLabel(session) {
  const counts = `${session.ready_count} of ${session.total_segments} segments`;
  switch (session.status) {
    case "active":
      return `${counts} ready`;
    case "ended":
      return `Ended: ${counts}`;
    case "stopped_cap":
      return `Stopped at the quota: ${counts}`;
    default:
      return counts;
  }
}
