"""A fake FCM endpoint fast enough to measure a sender against: asyncio, HTTP/1.1 keep-alive,
every send answered 200 with a message name. Run in its own process (python -m
bench.fast_fcm PORT). The full fake (errors, Retry-After, recording) is
tests/notifications/fake_fcm.py; this one only counts."""

import asyncio
import itertools
import sys

_counter = itertools.count(1)


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:].strip())
            if length:
                await reader.readexactly(length)
            body = b'{"name": "projects/bench/messages/fake-%d"}' % next(_counter)
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
            )
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionResetError):
        pass
    finally:
        writer.close()


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
