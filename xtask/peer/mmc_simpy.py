"""The M/M/c peer model of `cargo xtask bench`, in SimPy.

Customers arrive as a Poisson stream (rate c * utilisation / mean service),
wait in one FIFO queue for one of c servers, and are served for an exponential
time. The run stops after the last of N customers has been served; only
`env.run()` is timed (imports and set-up are not).

Prints one JSON line: customers, wall and CPU seconds, the model's events (arrival,
service start, departure: 3 per customer, the events a discrete-event model of
M/M/c must have), SimPy's own scheduler steps (its kernel events), the mean
wait in queue in milliseconds, and the Erlang C value for the same model.

usage: python mmc_simpy.py [--servers 4] [--utilisation 0.9] [--mean-ms 1] [--customers 1000000] [--seed 1]
"""

import argparse
import json
import math
import random
import time

import simpy


class CountingEnvironment(simpy.Environment):
    """A SimPy environment that counts the events its scheduler processes."""

    def __init__(self):
        super().__init__()
        self.steps = 0

    def step(self):
        self.steps += 1
        return super().step()


def erlang_c_wait_ms(c, rate_per_ms, mean_ms):
    """Mean wait in queue of M/M/c (Erlang C), in ms."""
    a = rate_per_ms * mean_ms  # offered load in erlangs
    rho = a / c
    top = a**c / math.factorial(c) / (1 - rho)
    bottom = sum(a**k / math.factorial(k) for k in range(c)) + top
    p_wait = top / bottom
    return p_wait * mean_ms / (c * (1 - rho))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--servers", type=int, default=4)
    ap.add_argument("--utilisation", type=float, default=0.9)
    ap.add_argument("--mean-ms", type=float, default=1.0)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    c, mean_ms, n = args.servers, args.mean_ms, args.customers
    rate = c * args.utilisation / mean_ms  # arrivals per ms
    rng = random.Random(args.seed)
    env = CountingEnvironment()
    servers = simpy.Resource(env, capacity=c)
    waits = [0.0, 0]  # total wait (ms), customers served

    def customer(env):
        arrived = env.now
        with servers.request() as req:
            yield req
            waits[0] += env.now - arrived
            yield env.timeout(rng.expovariate(1.0 / mean_ms))
        waits[1] += 1

    def source(env):
        for _ in range(n):
            yield env.timeout(rng.expovariate(rate))
            env.process(customer(env))

    env.process(source(env))
    start, cpu_start = time.perf_counter(), time.process_time()
    env.run()
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    assert waits[1] == n, waits
    print(json.dumps({
        "simulator": f"SimPy {simpy.__version__}",
        "customers": n,
        "wall_s": wall,
        "cpu_s": cpu,
        "model_events": 3 * n,
        "kernel_events": env.steps,
        "mean_wait_ms": waits[0] / n,
        "erlang_c_wait_ms": erlang_c_wait_ms(c, rate, mean_ms),
        "sim_time_ms": env.now,
    }))


if __name__ == "__main__":
    main()
