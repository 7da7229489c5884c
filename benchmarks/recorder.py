"""The sandbox recorder's cost during a call: CPU, memory and file size.

    .venv/bin/python benchmarks/recorder.py [SECONDS]    # default 300, a 5-minute call

Records a call of two synthetic peers, each sending 640x480 video at 30 fps (ffmpeg's moving
`testsrc2` pattern, so the encoders and decoders have real work) and a sine tone, over WebRTC on
loopback. The peers run in a subprocess of their own (this script with --peers), so the figures
printed are the recorder's alone: its process's CPU seconds per wall second (cores), its peak and
final RSS against the RSS before it started, and the output's size per minute. The peers' own CPU
is printed separately. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PEERS = {"fan": 440, "player": 880}  # peer id -> tone (Hz)


async def run_peers() -> None:
    """The subprocess: offers on stdout, answers from stdin, media until stdin says stop."""
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
    from aiortc.contrib.media import MediaPlayer

    loop = asyncio.get_running_loop()
    connections = []
    for peer_id, tone in PEERS.items():
        camera = MediaPlayer("testsrc2=size=640x480:rate=30", format="lavfi")
        microphone = MediaPlayer(f"sine=frequency={tone}:sample_rate=48000", format="lavfi")
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pc.addTransceiver(camera.video, direction="sendonly")
        pc.addTransceiver(microphone.audio, direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        print(json.dumps({"peer": peer_id, "sdp": pc.localDescription.sdp}), flush=True)
        answer = json.loads(await loop.run_in_executor(None, sys.stdin.readline))
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
        connections.append(pc)
    while any(pc.connectionState != "connected" for pc in connections):
        await asyncio.sleep(0.05)
    print(json.dumps({"connected": True}), flush=True)
    await loop.run_in_executor(None, sys.stdin.readline)
    await asyncio.gather(*(pc.close() for pc in connections))


def rss_mib() -> float:
    """This process's resident memory now."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def cpu_seconds(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def measure(seconds: float) -> None:
    import av

    from kendama.integrations.video.sandbox.recorder import Recorder

    path = Path(tempfile.mkdtemp(prefix="recorder-bench-")) / "call.webm"
    recorder = Recorder(path)
    rss_before = rss_mib()
    peers = subprocess.Popen(
        [sys.executable, __file__, "--peers"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    cpu_start, wall_start = cpu_seconds(), time.monotonic()
    recorder.start()
    for _ in PEERS:
        offer = json.loads(peers.stdout.readline())
        peers.stdin.write(json.dumps({"sdp": recorder.answer(offer["peer"], offer["sdp"])}) + "\n")
        peers.stdin.flush()
    json.loads(peers.stdout.readline())
    print(f"both peers connected after {time.monotonic() - wall_start:.1f} s; recording {seconds:.0f} s", flush=True)

    samples = []
    while (elapsed := time.monotonic() - wall_start) < seconds:
        time.sleep(min(30.0, seconds - elapsed))
        samples.append((time.monotonic() - wall_start, rss_mib(), cpu_seconds() - cpu_start))
        print(f"  {samples[-1][0]:6.0f} s  RSS {samples[-1][1]:6.1f} MiB  CPU {samples[-1][2]:6.1f} s", flush=True)
    written = recorder.stop()
    wall = time.monotonic() - wall_start
    cpu = cpu_seconds() - cpu_start
    peers.stdin.write("stop\n")
    peers.stdin.flush()
    peers.wait(30)
    peers_cpu = cpu_seconds(resource.RUSAGE_CHILDREN)

    with av.open(str(path)) as container:
        duration = container.duration / 1_000_000
        streams = ", ".join(f"{s.type} {s.codec_context.name}" for s in container.streams)
    size = path.stat().st_size
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print()
    print(f"recorded {written:.1f} s (wall {wall:.1f} s); file {duration:.2f} s long: {streams}")
    print(f"recorder CPU: {cpu:.1f} s in {wall:.1f} s = {cpu / wall:.3f} cores")
    print(f"recorder RSS: {rss_before:.1f} MiB before start, peak {peak:.1f} MiB, {rss_mib():.1f} MiB after stop")
    print(f"file: {size / 2**20:.1f} MiB = {size / 2**20 / (duration / 60):.2f} MiB per minute ({path})")
    print(f"(peers' own CPU, not included above: {peers_cpu / wall:.3f} cores)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seconds", nargs="?", type=float, default=300)
    parser.add_argument("--peers", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peers:
        asyncio.run(run_peers())
    else:
        measure(args.seconds)


if __name__ == "__main__":
    main()
