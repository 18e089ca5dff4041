#!/usr/bin/env python3
"""Seeded generator of a large folded-stacks file for the flame graph benchmark.

Writes DISTINCT stacks (default 50,000) of depth 8..40 made of long C++-style
names (templates, namespaces, spaces, kernel frames with "_[k]", some
recursion), with about SAMPLES samples in total (default 1,000,000), sorted as
stackcollapse-perf.pl emits them. The same seed gives the same bytes.
Default output is about 60 MiB.

usage: gen_folded.py OUT [--seed N] [--stacks N] [--samples N] [--name-scale F]
"""
import argparse
import random


def make_names(rng, count, scale):
    spaces = ["std", "boost", "asio", "detail", "net", "http", "checkout", "service", "grpc", "absl",
              "folly", "rocksdb", "json", "storage", "cache", "db", "rpc", "io", "internal", "util"]
    classes = ["RequestHandler", "ConnectionPool", "BasicStreamSocket", "ReactiveSocketService",
               "OrderRepository", "PriceCalculator", "InventoryClient", "SerializerImpl", "HashTable",
               "FlatHashMap", "LruCache", "WriteBatch", "MemTable", "SkipList", "ThreadPool",
               "EventLoop", "Scheduler", "Executor", "Promise", "Future", "Decoder", "Encoder"]
    methods = ["operator()", "run", "dispatch", "handle_request", "async_receive", "read_some",
               "write_some", "parse", "serialize", "lookup", "insert", "find", "compute_total",
               "validate", "commit", "flush", "encode", "decode", "resize", "rehash", "poll"]
    args = ["int", "unsigned long", "char const*", "std::string", "std::vector<int, std::allocator<int> >",
            "boost::system::error_code const&", "std::shared_ptr<Session>", "absl::string_view",
            "std::function<void (std::error_code, unsigned long)>", "Order const&", "double"]
    names = set()
    while len(names) < count:
        ns = "::".join(rng.choice(spaces) for _ in range(rng.randint(1, 3)))
        cls = rng.choice(classes)
        if rng.random() < 0.2:
            cls += "<" + ", ".join(rng.choice(args) for _ in range(rng.randint(1, max(1, int(2 * scale))))) + " >"
        name = f"{ns}::{cls}::{rng.choice(methods)}"
        if rng.random() < 0.6:
            name += "(" + ", ".join(rng.choice(args) for _ in range(rng.randint(0, max(0, int(2 * scale))))) + ")"
        names.add(name)
    return sorted(names)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--seed", type=int, default=20261127)
    p.add_argument("--stacks", type=int, default=50000)
    p.add_argument("--samples", type=int, default=1000000)
    p.add_argument("--name-scale", type=float, default=1.0)
    a = p.parse_args()
    rng = random.Random(a.seed)
    names = make_names(rng, 6000, a.name_scale)
    kernel = ["entry_SYSCALL_64_after_hwframe_[k]", "do_syscall_64_[k]", "__x64_sys_read_[k]",
              "ksys_read_[k]", "vfs_read_[k]", "tcp_recvmsg_[k]", "__x64_sys_futex_[k]", "futex_wait_[k]",
              "schedule_[k]", "__schedule_[k]", "finish_task_switch.isra.0_[k]", "ext4_file_read_iter_[k]"]
    roots = ["checkout-svc", "nginx", "redis-server", "postgres", "envoy"]
    stacks = []
    seen = set()
    while len(stacks) < a.stacks:
        depth = rng.randint(8, 40)
        if stacks and rng.random() < 0.92:
            parent = rng.choice(stacks)
            keep = rng.randint(1, min(len(parent), depth) - 1)
            while keep > 1 and parent[keep - 1].endswith("_[k]"):
                keep -= 1  # kernel frames only ever sit at the leaf end
            stack = list(parent[:keep])
        else:
            stack = [rng.choice(roots)]
        while len(stack) < depth:
            r = rng.random()
            if r < 0.04 and len(stack) > 2:
                stack.append(stack[-1])  # recursion
            elif stack[-1].endswith("_[k]") or (r < 0.10 and len(stack) > depth - 5):
                stack.append(rng.choice(kernel))
            else:
                stack.append(rng.choice(names))
        key = tuple(stack)
        if key in seen:
            continue
        seen.add(key)
        stacks.append(key)
    weights = [rng.paretovariate(1.3) for _ in stacks]
    scale = a.samples / sum(weights)
    lines = sorted(";".join(s) + " " + str(max(1, round(w * scale))) for s, w in zip(stacks, weights))
    with open(a.out, "w", encoding="utf-8", newline="\n") as f:
        for line in lines:
            f.write(line)
            f.write("\n")


if __name__ == "__main__":
    main()
