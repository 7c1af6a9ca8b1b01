import protobuf from 'protobufjs';

/**
 * BuildKit streams its progress as base64 protobuf `moby.buildkit.v1.StatusResponse`
 * messages in the `aux` field of `moby.buildkit.trace` lines. Only the fields the
 * grader reads are declared here (field numbers from moby/buildkit's control.proto).
 */
const root = protobuf.Root.fromJSON({
  nested: {
    StatusResponse: {
      fields: {
        vertexes: { rule: 'repeated', type: 'Vertex', id: 1 },
        statuses: { rule: 'repeated', type: 'VertexStatus', id: 2 },
        logs: { rule: 'repeated', type: 'VertexLog', id: 3 },
      },
    },
    Vertex: {
      fields: {
        digest: { type: 'string', id: 1 },
        name: { type: 'string', id: 3 },
        cached: { type: 'bool', id: 4 },
        started: { type: 'Timestamp', id: 5 },
        completed: { type: 'Timestamp', id: 6 },
        error: { type: 'string', id: 7 },
      },
    },
    VertexStatus: {
      fields: {
        ID: { type: 'string', id: 1 },
        vertex: { type: 'string', id: 2 },
        current: { type: 'int64', id: 4 },
        total: { type: 'int64', id: 5 },
      },
    },
    VertexLog: {
      fields: {
        vertex: { type: 'string', id: 1 },
        stream: { type: 'int64', id: 3 },
        msg: { type: 'bytes', id: 4 },
      },
    },
    Timestamp: {
      fields: {
        seconds: { type: 'int64', id: 1 },
        nanos: { type: 'int32', id: 2 },
      },
    },
  },
});
const StatusResponse = root.lookupType('StatusResponse');

export interface TraceVertex {
  digest: string;
  name: string;
  cached: boolean;
  started: boolean;
  completed: boolean;
  error: string;
}

export interface TraceLog {
  vertex: string;
  text: string;
}

export interface TraceUpdate {
  vertexes: TraceVertex[];
  logs: TraceLog[];
}

interface RawStatus {
  vertexes?: { digest?: string; name?: string; cached?: boolean; started?: object; completed?: object; error?: string }[];
  logs?: { vertex?: string; msg?: Uint8Array }[];
}

/** Decode one `aux` payload of a `moby.buildkit.trace` line. */
export function decodeTrace(base64: string): TraceUpdate {
  if (!base64) return { vertexes: [], logs: [] };
  const raw = StatusResponse.toObject(StatusResponse.decode(Buffer.from(base64, 'base64'))) as RawStatus;
  return {
    vertexes: (raw.vertexes ?? []).map((v) => ({
      digest: v.digest ?? '',
      name: v.name ?? '',
      cached: Boolean(v.cached),
      started: v.started !== undefined,
      completed: v.completed !== undefined,
      error: v.error ?? '',
    })),
    logs: (raw.logs ?? []).map((l) => ({
      vertex: l.vertex ?? '',
      text: Buffer.from(l.msg ?? new Uint8Array()).toString('utf8'),
    })),
  };
}

/** Encode a status message the way BuildKit does; tests use it to replay synthetic builds. */
export function encodeTrace(update: {
  vertexes?: { digest: string; name: string; cached?: boolean; started?: boolean; completed?: boolean; error?: string }[];
  logs?: { vertex: string; text: string }[];
}): string {
  const now = { seconds: Math.floor(Date.now() / 1000), nanos: 0 };
  const message = StatusResponse.fromObject({
    vertexes: (update.vertexes ?? []).map((v) => ({
      digest: v.digest,
      name: v.name,
      cached: v.cached ?? false,
      started: v.started ? now : undefined,
      completed: v.completed ? now : undefined,
      error: v.error ?? '',
    })),
    logs: (update.logs ?? []).map((l) => ({ vertex: l.vertex, msg: Buffer.from(l.text) })),
  });
  return Buffer.from(StatusResponse.encode(message).finish()).toString('base64');
}
