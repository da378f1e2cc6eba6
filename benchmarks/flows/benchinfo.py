"""Shared by the flow benchmark scripts: the one-line machine description every result file starts with.

machine() -> "CPU model, N hardware threads, java -version's first line, platform" (Python standard library only).
"""
import os, platform, subprocess


def machine():
    cpu = "unknown"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    jv = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    return "%s, %d hardware threads, %s, %s" % (cpu, os.cpu_count(), jv, platform.platform())
