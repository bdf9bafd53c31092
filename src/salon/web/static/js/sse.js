// A text/event-stream parser over fetch's ReadableStream, for streams EventSource cannot open (POST, headers).

/** Yield {id, event, data} frames of a text/event-stream response; comments and heartbeats are skipped. */
export async function* readEventStream(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let frame = emptyFrame();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      const lines = buffer.split(/\r\n|\r|\n/);
      buffer = lines.pop();
      for (const line of lines) {
        if (line === "") {
          if (frame.data.length) yield finish(frame);
          frame = emptyFrame();
        } else if (!line.startsWith(":")) {
          addField(frame, line);
        }
      }
    }
  } finally {
    reader.releaseLock();
  }
}

function emptyFrame() {
  return { id: null, event: "message", data: [] };
}

function addField(frame, line) {
  const colon = line.indexOf(":");
  const name = colon === -1 ? line : line.slice(0, colon);
  let value = colon === -1 ? "" : line.slice(colon + 1);
  if (value.startsWith(" ")) value = value.slice(1);
  if (name === "data") frame.data.push(value);
  else if (name === "event") frame.event = value;
  else if (name === "id") frame.id = value;
}

function finish(frame) {
  const text = frame.data.join("\n");
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    data = text;
  }
  return { id: frame.id, event: frame.event, data };
}
