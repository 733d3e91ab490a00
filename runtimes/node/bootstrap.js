'use strict';
// The Node.js bootstrap of a deployed function's instance.
//
// The engine starts it as `node bootstrap.js` in the function's code
// directory. It loads the handler named by STEPFLOW_HANDLER ("FILE.EXPORT",
// FILE relative to the code directory without its extension) once, says
// "ready", then answers the engine's invoke requests one at a time until the
// engine closes the request channel. The protocol is in runtimes/README.md.
//
// Channel: fd 3 carries requests from the engine, fd 4 responses to it; each
// frame is a 4-byte big-endian length and that many bytes of UTF-8 JSON.
// stdout and stderr belong to the function (its log); this file never writes
// to stdout, and writes to stderr only for a crash or a protocol error.
//
// Node writes to stdout/stderr synchronously when they are pipes or files, so
// a call's log output is in the pipes before its response frame: there is
// nothing to flush. Node also marks inherited descriptors other than 0-2
// close-on-exec at start-up, so processes the handler starts do not get the
// channel (the tests check both).

const fs = require('fs');
const net = require('net');
const path = require('path');
const util = require('util');
const { pathToFileURL } = require('url');

const REQUESTS_FD = 3;
const RESPONSES_FD = 4;
const DEFAULT_HANDLER = 'index.handler';
const EXTENSIONS = ['.js', '.mjs', '.cjs'];  // tried in this order

const env = process.env;
const instance = {
  functionName: env.STEPFLOW_FUNCTION_NAME || '',
  functionVersion: env.STEPFLOW_FUNCTION_VERSION || '',
  memoryMb: env.STEPFLOW_MEMORY_MB || '',
  logGroupName: '/stepflow/functions/' + (env.STEPFLOW_FUNCTION_NAME || ''),
  logStreamName: (env.STEPFLOW_FUNCTION_VERSION || '') + '/' + process.pid,
};

// --- Errors ------------------------------------------------------------------

// A failure to load the handler, reported as an initError frame.
class InitError extends Error {
  constructor(errorType, message, stackTrace) {
    super(message);
    this.errorType = errorType;
    this.stackTrace = stackTrace || [];
  }
}

function isError(value) {
  return util.types.isNativeError(value) || value instanceof Error;
}

// Lambda's errorType for a thrown value, so a state's Retry/Catch can match
// it: a meaningful `name` ("Custom"), else the class (`class MyErr extends
// Error` → "MyErr", TypeError → "TypeError"), else "Error".
function errorTypeOf(err) {
  if (!isError(err)) return 'Error';
  try {
    const name = err.name;
    if (typeof name === 'string' && name !== '' && name !== 'Error') return name;
    const ctor = err.constructor && err.constructor.name;
    if (typeof ctor === 'string' && ctor !== '') return ctor;
  } catch {
    // A throwing getter: fall through.
  }
  return 'Error';
}

// The message of a thrown value: an Error's message; a thrown string itself;
// anything else as JSON when it has a JSON form ({"code":1}), else String(v).
function errorMessageOf(err) {
  try {
    if (isError(err)) return err.message == null ? '' : String(err.message);
    if (typeof err === 'string') return err;
    const json = JSON.stringify(err);
    return typeof json === 'string' ? json : String(err);
  } catch {
    try {
      return String(err);
    } catch {
      return '<unprintable value>';
    }
  }
}

// err.stack without its first line ("Name: message"; a multi-line message is
// skipped whole) and without this file's frames (the caller's side of the
// handler or the import); [] for a thrown non-Error.
function stackTraceOf(err) {
  let stack;
  try {
    stack = isError(err) ? err.stack : undefined;
  } catch {
    return [];
  }
  if (typeof stack !== 'string') return [];
  const lines = stack.split('\n');
  const firstFrame = lines.findIndex((line) => /^\s+at /.test(line));
  const frames = firstFrame >= 0 ? lines.slice(firstFrame) : lines.slice(1);
  const own = frames.findIndex((line) => line.includes(__filename));
  return own >= 0 ? frames.slice(0, own) : frames;
}

// --- The channel -------------------------------------------------------------

// For waiting without spinning (Atomics.wait) while the response pipe is full.
const sleeper = new Int32Array(new SharedArrayBuffer(4));

// Writes one frame to the response channel, synchronously: the response is
// out before anything else happens (another call, process.exit).
function sendFrame(message) {
  const length = Buffer.byteLength(message);
  const frame = Buffer.allocUnsafe(4 + length);
  frame.writeUInt32BE(length, 0);
  frame.write(message, 4);
  let offset = 0;
  while (offset < frame.length) {
    try {
      offset += fs.writeSync(RESPONSES_FD, frame, offset, frame.length - offset);
    } catch (err) {
      if (err.code === 'EAGAIN') {
        // The engine made the pipe non-blocking and it is full: give it a
        // millisecond to read.
        Atomics.wait(sleeper, 0, 0, 1);
      } else if (err.code === 'EPIPE') {
        process.exit(0);  // the engine stopped reading: it is gone, nobody to answer
      } else {
        throw err;
      }
    }
  }
}

// A JSON string for text reported here (errors): a lone surrogate, which the
// engine could not read as UTF-8, becomes U+FFFD.
function textJson(text) {
  return JSON.stringify(String(text).toWellFormed());
}

function protocolError(message) {
  fs.writeSync(2, `stepflow bootstrap: ${message}\n`);
  process.exit(1);
}

// Splits the request stream into frames; onFrame gets each frame's text.
// Chunks are kept in a list and joined once per frame, so a large request
// arriving in many reads is copied once.
function frameReader(onFrame) {
  const chunks = [];
  let buffered = 0;
  let frameLength = -1;  // -1: waiting for a header

  const take = (count) => {
    if (count === 0) return Buffer.alloc(0);
    buffered -= count;
    const first = chunks[0];
    if (first.length >= count) {
      if (first.length === count) chunks.shift();
      else chunks[0] = first.subarray(count);
      return first.subarray(0, count);
    }
    const out = Buffer.allocUnsafe(count);
    let filled = 0;
    while (filled < count) {
      const chunk = chunks[0];
      const used = Math.min(chunk.length, count - filled);
      chunk.copy(out, filled, 0, used);
      filled += used;
      if (used === chunk.length) chunks.shift();
      else chunks[0] = chunk.subarray(used);
    }
    return out;
  };

  return (chunk) => {
    chunks.push(chunk);
    buffered += chunk.length;
    for (;;) {
      if (frameLength < 0) {
        if (buffered < 4) return;
        frameLength = take(4).readUInt32BE(0);
      }
      if (buffered < frameLength) return;
      const body = take(frameLength);
      frameLength = -1;
      onFrame(body.toString('utf8'));
    }
  };
}

// Opens the request channel: a libuv pipe when fd 3 is a pipe or socket (the
// engine's case; reads are event-driven, no thread-pool hop), a file stream
// otherwise (e.g. requests replayed from a file). Returns the pipe, or null.
function openRequests(onData, onEnd) {
  let stream;
  let pipe = null;
  try {
    pipe = new net.Socket({ fd: REQUESTS_FD, readable: true, writable: false });
    stream = pipe;
  } catch (err) {
    if (err.code !== 'ERR_INVALID_FD_TYPE') throw err;
    stream = fs.createReadStream(null, { fd: REQUESTS_FD, autoClose: false });
  }
  stream.on('data', onData);
  stream.on('end', onEnd);
  stream.on('error', (err) => protocolError(`reading the request channel: ${err.message}`));
  return pipe;
}

// --- Loading the handler -----------------------------------------------------

// Whether Node reads FILE as an ES module: .mjs, or .js under a nearest
// package.json that says "type": "module" (Node's own rule).
function isEsModule(file) {
  if (file.endsWith('.mjs')) return true;
  if (file.endsWith('.cjs')) return false;
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    let text;
    try {
      text = fs.readFileSync(path.join(dir, 'package.json'), 'utf8');
    } catch {
      if (path.dirname(dir) === dir) return false;
      continue;
    }
    try {
      return JSON.parse(text).type === 'module';
    } catch {
      return false;  // Node reports the broken package.json when it loads the file
    }
  }
}

function isFile(file) {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

// A SyntaxError from compiling a file (its first frame is in Node's module
// loader), as opposed to one the code threw while running (JSON.parse).
function isCompileError(err) {
  if (!isError(err) || errorTypeOf(err) !== 'SyntaxError') return false;
  const frames = stackTraceOf(err);
  return frames.length === 0 || frames[0].includes('(node:internal/');
}

// The initError for an exception from importing FILE.
function importFailure(file, codeDir, err) {
  if (isCompileError(err)) {
    // A CommonJS file's stack starts with "FILE:LINE", the line and a caret
    // (an ES module's names no place: Node keeps it out of reach).
    const lines = String(err.stack).split('\n');
    const header = lines.findIndex((line) => line.startsWith('SyntaxError:'));
    const location = header > 0 ? lines.slice(0, header).filter((line) => line !== '') : [];
    const where = location.length > 0 && /:\d+$/.test(location[0])
      ? ` (${path.relative(codeDir, location[0])})` : '';
    return new InitError('Runtime.UserCodeSyntaxError',
                         `Syntax error in module '${file}': ${errorMessageOf(err)}${where}`,
                         location);
  }
  const code = isError(err) ? err.code : undefined;
  const detail = code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND'
    ? errorMessageOf(err)
    : isError(err) ? `${errorTypeOf(err)}: ${errorMessageOf(err)}` : errorMessageOf(err);
  return new InitError('Runtime.ImportModuleError',
                       `Unable to import module '${file}': ${detail}`, stackTraceOf(err));
}

// Imports FILE (trying each extension) and returns its EXPORT; throws InitError.
async function loadHandler(spec, codeDir) {
  const dot = spec.lastIndexOf('.');
  if (dot <= 0 || dot === spec.length - 1) {
    throw new InitError('Runtime.MalformedHandlerName',
                        `Bad handler '${spec}': expected FILE.EXPORT`);
  }
  const file = spec.slice(0, dot);
  const exportName = spec.slice(dot + 1);
  const base = path.resolve(codeDir, file);
  const found = EXTENSIONS.map((ext) => base + ext).find(isFile);
  if (found === undefined) {
    throw new InitError('Runtime.ImportModuleError',
                        `Unable to import module '${file}': Cannot find module '${file}' ` +
                        `(no ${file}.js, .mjs or .cjs in ${codeDir})`);
  }
  let mod;
  try {
    // import() reads both kinds, but setting up Node's ES module loader costs
    // about 10 ms of the cold start; require() of CommonJS costs well under 1.
    mod = isEsModule(found) ? await import(pathToFileURL(found).href) : require(found);
  } catch (err) {
    throw importFailure(file, codeDir, err);
  }
  // An ES module's exports, or a CommonJS module's exports object; a CommonJS
  // module imported by an ES module (or from Node ≥ 20.19 required as one)
  // also has them under its default export.
  let handler = mod[exportName];
  if (handler === undefined && mod.default != null) handler = mod.default[exportName];
  if (handler === undefined) {
    throw new InitError('Runtime.HandlerNotFound', `${spec} is undefined or not exported`);
  }
  if (typeof handler !== 'function') {
    throw new InitError('Runtime.HandlerNotFound', `${spec} is not a function`);
  }
  return handler;
}

// --- Calls -------------------------------------------------------------------

// Where an uncaught exception or unhandled rejection goes: the start-up or the
// call under way fails with it; between calls (null) the process dies.
let failCurrent = null;

function onUncaught(err) {
  if (failCurrent !== null) {
    failCurrent(err);
    return;
  }
  fs.writeSync(2, `Uncaught ${util.inspect(err)}\n`);
  process.exit(1);
}

// The handler's second argument, shaped like AWS Lambda's context object.
function makeContext(fields, deadlineMs) {
  const deadline = Math.floor(Number(deadlineMs)) || 0;  // none: no time left
  const text = (value, fallback) => (value == null ? fallback : String(value));
  return {
    awsRequestId: text(fields.awsRequestId, ''),
    functionName: text(fields.functionName, instance.functionName),
    functionVersion: text(fields.functionVersion, instance.functionVersion),
    invokedFunctionArn: text(fields.invokedFunctionArn, ''),
    memoryLimitInMB: text(fields.memoryLimitInMB, instance.memoryMb),
    logGroupName: instance.logGroupName,
    logStreamName: instance.logStreamName,
    executionId: text(fields.executionId, ''),
    stateName: text(fields.stateName, ''),
    attempt: Number(fields.attempt) || 0,
    taskToken: text(fields.taskToken, ''),
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis() {
      return Math.max(0, deadline - Date.now());
    },
  };
}

function resultFrame(id, value) {
  let json;
  try {
    json = JSON.stringify(value === undefined ? null : value);
  } catch (err) {  // a BigInt, a cycle, a throwing toJSON
    return errorFrame(id, 'Runtime.MarshalError',
                      `Unable to marshal response: ${errorMessageOf(err)}`, []);
  }
  if (json === undefined) json = 'null';  // a function or a symbol
  if (json.includes('\\ud') && hasLoneSurrogate(json)) {
    // JSON.stringify escapes a lone surrogate; the engine's UTF-8 JSON has no
    // such character. Refused like Python's runtime refuses it.
    return errorFrame(id, 'Runtime.MarshalError',
                      'Unable to marshal response: a string holds a lone UTF-16 surrogate', []);
  }
  return `{"type":"result","id":${JSON.stringify(id ?? null)},"ok":true,"result":${json}}`;
}

// True when JSON text holds a \udXXX escape (JSON.stringify writes one only
// for a lone surrogate) that is not an escaped backslash followed by "ud".
function hasLoneSurrogate(json) {
  const escape = /\\+ud[89a-f][0-9a-f]{2}/g;
  let match;
  while ((match = escape.exec(json)) !== null) {
    const backslashes = match[0].length - 5;
    if (backslashes % 2 === 1) return true;
  }
  return false;
}

function errorFrame(id, errorType, message, stackTrace) {
  return `{"type":"result","id":${JSON.stringify(id ?? null)},"ok":false,` +
         `"errorType":${textJson(errorType)},"errorMessage":${textJson(message)},` +
         `"stackTrace":[${stackTrace.map(textJson).join(',')}]}`;
}

function failureFrame(id, err) {
  return errorFrame(id, errorTypeOf(err), errorMessageOf(err), stackTraceOf(err));
}

// The request pipe, when there is one (see waitForEmptyEventLoop).
let requestPipe = null;
// The pending "send once the event loop is empty" of a callback-style call.
let emptyLoopWaiter = null;

// Lambda's callbackWaitsForEmptyEventLoop: a callback-style call is answered
// once the work it left behind (timers, sockets) is done. The request pipe
// would keep the loop busy forever, so it is unref'd meanwhile; 'beforeExit'
// fires when nothing else is left. When the channel is a file stream (which
// cannot be unref'd) the call is answered at once.
function waitForEmptyEventLoop(send) {
  if (requestPipe === null) {
    send();
    return;
  }
  requestPipe.unref();
  emptyLoopWaiter = () => {
    emptyLoopWaiter = null;
    requestPipe.ref();
    send();
  };
  process.once('beforeExit', emptyLoopWaiter);
}

function cancelEmptyLoopWait() {
  if (emptyLoopWaiter === null) return;
  process.removeListener('beforeExit', emptyLoopWaiter);
  emptyLoopWaiter = null;
  requestPipe.ref();
}

// Runs one invoke request; resolves to its result frame. The first of the
// handler's outcomes wins (returned value, settled promise, callback, an
// uncaught error); later ones are ignored.
function invoke(handler, request) {
  return new Promise((resolve) => {
    const id = request.id;
    let settled = false;
    const succeed = (value) => finish(() => resultFrame(id, value));
    const fail = (err) => finish(() => failureFrame(id, err));
    function finish(frame) {
      if (settled) return;
      settled = true;
      failCurrent = null;
      cancelEmptyLoopWait();
      resolve(frame());
    }
    failCurrent = fail;

    const fields = request.context !== null && typeof request.context === 'object'
      ? request.context : {};
    const context = makeContext(fields, request.deadlineMs);
    const event = request.event === undefined ? null : request.event;
    const callbackStyle = handler.length >= 3;
    const callback = (err, result) => {
      if (settled || emptyLoopWaiter !== null) return;
      const outcome = err != null ? () => fail(err) : () => succeed(result);
      if (context.callbackWaitsForEmptyEventLoop) waitForEmptyEventLoop(outcome);
      else outcome();
    };
    try {
      const returned = callbackStyle ? handler(event, context, callback) : handler(event, context);
      if ((returned !== null && typeof returned === 'object') || typeof returned === 'function') {
        const then = returned.then;
        if (typeof then === 'function') {
          then.call(returned, succeed, fail);
          return;
        }
      }
      if (!callbackStyle) succeed(returned);
    } catch (err) {
      fail(err);
    }
  });
}

// --- Main --------------------------------------------------------------------

// Whether fds 3 and 4 look like the engine's channel. Without it they are
// libuv's own descriptors (fd 3 its epoll instance), which must not be used.
function hasChannel() {
  try {
    return [REQUESTS_FD, RESPONSES_FD].every((fd) => {
      const stat = fs.fstatSync(fd);
      return stat.isFIFO() || stat.isSocket() || stat.isFile();
    });
  } catch {
    return false;
  }
}

async function main() {
  if (!hasChannel()) {
    fs.writeSync(2, 'stepflow bootstrap: fds 3 and 4 must be the engine\'s channel\n');
    process.exit(2);
  }
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);

  const codeDir = env.STEPFLOW_CODE_DIR || process.cwd();
  const spec = env.STEPFLOW_HANDLER || DEFAULT_HANDLER;
  let handler;
  try {
    handler = await new Promise((resolve, reject) => {
      failCurrent = reject;  // an uncaught error while the module loads (top-level await)
      loadHandler(spec, codeDir).then(resolve, reject);
    });
  } catch (err) {
    const file = spec.slice(0, spec.lastIndexOf('.'));
    const failure = err instanceof InitError ? err : importFailure(file, codeDir, err);
    sendFrame(`{"type":"initError","errorType":${textJson(failure.errorType)},` +
              `"errorMessage":${textJson(failure.message)},` +
              `"stackTrace":[${failure.stackTrace.map(textJson).join(',')}]}`);
    process.exit(1);
  }
  failCurrent = null;
  sendFrame(`{"type":"ready","runtime":${textJson('node ' + process.version)}}`);

  // Frames are handled one at a time, in order; EOF ends the process once
  // the call under way (if any) is answered.
  const queue = [];
  let busy = false;
  let ended = false;
  const drain = async () => {
    busy = true;
    while (queue.length > 0) {
      let request;
      try {
        request = JSON.parse(queue.shift());
      } catch (err) {
        protocolError(`a request is not JSON: ${err.message}`);
      }
      if (request === null || typeof request !== 'object' || Array.isArray(request)) {
        protocolError('a request is not a JSON object');
      }
      if (request.type !== 'invoke') continue;  // a type this bootstrap does not know
      sendFrame(await invoke(handler, request));
    }
    busy = false;
    if (ended) process.exit(0);
  };
  requestPipe = openRequests(frameReader((text) => {
    queue.push(text);
    if (!busy) drain();
  }), () => {
    ended = true;
    if (!busy) process.exit(0);
  });
}

main();
