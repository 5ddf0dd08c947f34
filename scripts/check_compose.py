#!/usr/bin/env python3
"""Checks that docker-compose.yml describes a shape that can start
(docs/deployment.md), without Docker:

- every service's `build` names a folder with its Dockerfile, and every
  file that Dockerfile COPYs from the build context exists;
- every bind-mounted host path and every env_file exists;
- every `depends_on` names a service;
- every server of the HAProxy configuration mounted into a service names a
  service of the file (HOST:PORT with HOST a service), and every backend a
  frontend uses exists.

    scripts/check_compose.py [REPO_ROOT]     exit 0 when sound, 1 with the faults
    scripts/check_compose.py --self-test     the checker finds planted faults
Needs python3 with PyYAML (Debian: python3-yaml; scripts/setup.sh installs it).
"""
import os
import re
import shutil
import sys
import tempfile

import yaml


def dockerfile_copies(path):
    """Sources of COPY/ADD lines that read the build context (not --from)."""
    sources = []
    with open(path) as f:
        text = f.read().replace("\\\n", " ")
    for line in text.splitlines():
        words = line.split()
        if not words or words[0].upper() not in ("COPY", "ADD"):
            continue
        args = [w for w in words[1:] if not w.startswith("--")]
        if any(w.startswith("--from") for w in words[1:]) or len(args) < 2:
            continue
        sources += args[:-1]
    return sources


def haproxy_servers(path):
    """(section, server name, host) of every `server` line; backends used."""
    servers, used, backends = [], set(), set()
    section = None
    with open(path) as f:
        for raw in f:
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            words = line.split()
            if words[0] in ("global", "defaults", "frontend", "backend", "listen", "resolvers",
                            "peers", "userlist", "program", "cache"):
                section = (words[0], words[1] if len(words) > 1 else "")
                if words[0] in ("backend", "listen"):
                    backends.add(section[1])
                continue
            if words[0] == "server" and len(words) >= 3:
                servers.append((section, words[1], words[2].rsplit(":", 1)[0]))
            if words[0] in ("default_backend", "use_backend") and len(words) >= 2:
                used.add(words[1])
    return servers, used - backends


def check(root):
    faults = []
    compose_path = os.path.join(root, "docker-compose.yml")
    with open(compose_path) as f:
        compose = yaml.safe_load(f)
    services = compose.get("services") or {}
    if not services:
        return ["docker-compose.yml has no services"]
    for name, service in services.items():
        build = service.get("build")
        if build is not None:
            context = build if isinstance(build, str) else build.get("context", ".")
            dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile",
                                                                              "Dockerfile")
            context_dir = os.path.normpath(os.path.join(root, context))
            docker_path = os.path.join(context_dir, dockerfile)
            if not os.path.isfile(docker_path):
                faults.append(f"{name}: build '{context}' has no {dockerfile}")
            else:
                for source in dockerfile_copies(docker_path):
                    if source == ".":
                        continue
                    if not os.path.exists(os.path.join(context_dir, source)):
                        faults.append(f"{name}: {dockerfile} copies '{source}', which is not in "
                                      f"'{context}'")
        elif "image" not in service:
            faults.append(f"{name}: neither build nor image")
        env_files = service.get("env_file") or []
        for env_file in [env_files] if isinstance(env_files, str) else env_files:
            if not os.path.isfile(os.path.join(root, env_file)):
                faults.append(f"{name}: env_file '{env_file}' does not exist")
        for volume in service.get("volumes") or []:
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume.get("source",
                                                                                       "")
            if source.startswith(("./", "../", "/")):
                host = os.path.normpath(os.path.join(root, source))
                if not os.path.exists(host):
                    faults.append(f"{name}: mounts '{source}', which does not exist")
                target = volume.split(":")[1] if isinstance(volume, str) else volume.get("target")
                if os.path.isfile(host) and target and target.endswith("haproxy.cfg"):
                    servers, missing = haproxy_servers(host)
                    if not servers:
                        faults.append(f"{name}: {source} names no server")
                    for section, server, host_name in servers:
                        if host_name not in services:
                            faults.append(f"{source}: {section[0]} {section[1]}: server {server} "
                                          f"points at '{host_name}', which is not a service")
                    for backend in sorted(missing):
                        faults.append(f"{source}: backend '{backend}' is used but not defined")
        depends = service.get("depends_on") or []
        for dependency in depends if isinstance(depends, list) else depends.keys():
            if dependency not in services:
                faults.append(f"{name}: depends on '{dependency}', which is not a service")
    return faults


def self_test(root):
    """Plants one fault of each kind in a copy and expects each to be found."""
    planted = {
        "missing Dockerfile": ("deploy/patroni/Dockerfile", None, "has no Dockerfile"),
        "missing config": ("deploy/etcd.env", None, "env_file"),
        "unknown backend host": ("deploy/haproxy.cfg", ("ocpp-3:8180", "ocpp-9:8180"),
                                 "'ocpp-9', which is not a service"),
    }
    ok = True
    for what, (path, change, expected) in planted.items():
        with tempfile.TemporaryDirectory() as copy:
            for item in ("docker-compose.yml", "Dockerfile", "deploy", "certs"):
                source = os.path.join(root, item)
                if os.path.isdir(source):
                    shutil.copytree(source, os.path.join(copy, item))
                else:
                    shutil.copy(source, os.path.join(copy, item))
            target = os.path.join(copy, path)
            if change is None:
                os.remove(target)
            else:
                with open(target) as f:
                    text = f.read()
                with open(target, "w") as f:
                    f.write(text.replace(*change))
            faults = check(copy)
            found = any(expected in fault for fault in faults)
            print(f"self-test {what}: {'found' if found else 'NOT found'}")
            ok = ok and found
    return ok


def main():
    args = sys.argv[1:]
    if args and args[0] == "--self-test":
        root = args[1] if len(args) > 1 else os.path.dirname(os.path.dirname(
            os.path.abspath(__file__)))
        sys.exit(0 if self_test(root) else 1)
    root = args[0] if args else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    faults = check(root)
    for fault in faults:
        print(f"docker-compose.yml: {fault}")
    if not faults:
        print("docker-compose.yml: every build has its Dockerfile, every mount and env_file "
              "exists, every HAProxy server is a service")
    sys.exit(1 if faults else 0)


if __name__ == "__main__":
    main()
