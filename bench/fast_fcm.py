"""A fake FCM endpoint fast enough to measure a sender against: asyncio, every send answered
200 with a message name. One port speaks HTTP/1.1 (keep-alive), what the senders and the
baseline use, and also HTTP/2 with prior knowledge (h2c: a client that opens with the HTTP/2
preface), 100 concurrent streams a connection like FCM's front end, so an HTTP/2 client can be
measured against it too (issue 20 did: docs/performance.md). Run in its own process (python -m
bench.fast_fcm PORT). The full fake (errors, Retry-After, recording) is
tests/notifications/fake_fcm.py; this one only counts."""

import asyncio
import itertools
import sys

import h2.config
import h2.connection
import h2.events

_counter = itertools.count(1)
HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def _answer() -> bytes:
    return b'{"name": "projects/bench/messages/fake-%d"}' % next(_counter)


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        start = await reader.readexactly(3)
        if start == HTTP2_PREFACE[:3]:
            await _serve_http2(start, reader, writer)
        else:
            await _serve_http1(start, reader, writer)
    except (asyncio.IncompleteReadError, ConnectionResetError):
        pass
    finally:
        writer.close()


async def _serve_http1(
    start: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    head = start + await reader.readuntil(b"\r\n\r\n")
    while True:
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:].strip())
        if length:
            await reader.readexactly(length)
        body = _answer()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")


async def _serve_http2(
    start: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    connection = h2.connection.H2Connection(
        h2.config.H2Configuration(client_side=False, header_encoding=None)
    )
    connection.initiate_connection()
    writer.write(connection.data_to_send())
    data = start
    while True:
        for event in connection.receive_data(data):
            if isinstance(event, h2.events.DataReceived):
                connection.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                body = _answer()
                connection.send_headers(
                    event.stream_id,
                    [
                        (b":status", b"200"),
                        (b"content-type", b"application/json"),
                        (b"content-length", b"%d" % len(body)),
                    ],
                )
                connection.send_data(event.stream_id, body, end_stream=True)
            elif isinstance(event, h2.events.ConnectionTerminated):
                writer.write(connection.data_to_send())
                return
        writer.write(connection.data_to_send())
        await writer.drain()
        data = await reader.read(65536)
        if not data:
            return


async def serve(port: int, ready: "object | None" = None) -> None:
    server = await asyncio.start_server(_handle, "127.0.0.1", port, backlog=1024)
    if ready is not None:
        ready.put(server.sockets[0].getsockname()[1])  # type: ignore[attr-defined]
    async with server:
        await server.serve_forever()


def main() -> None:
    asyncio.run(serve(int(sys.argv[1]) if len(sys.argv) > 1 else 0))


if __name__ == "__main__":
    main()
