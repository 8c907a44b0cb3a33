// SPDX-License-Identifier: Apache-2.0
// Request bodies as OTLP/HTTP senders send them: possibly compressed, protobuf or JSON.
import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';
import { decodeProtobufRequest, type OtlpSignal } from './otlp-proto.js';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function decompress(body: Buffer, encoding: string): Promise<Buffer> {
  switch (encoding) {
    case '':
    case 'identity':
      return body;
    case 'gzip':
    case 'x-gzip':
      return gunzipAsync(body);
    case 'deflate':
      return inflateAsync(body);
    default:
      throw new HttpError(415, `unsupported Content-Encoding '${encoding}'`);
  }
}

export function decodeOtlpBody(signal: OtlpSignal, contentType: string, body: Buffer): unknown {
  if (contentType === 'application/json') return JSON.parse(body.toString('utf8'));
  if (contentType === 'application/x-protobuf') return decodeProtobufRequest(signal, body);
  throw new HttpError(415, `unsupported Content-Type '${contentType}'`);
}
