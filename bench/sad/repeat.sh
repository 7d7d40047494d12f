#!/bin/sh
# Runs one inbound case N times per representation, alternating them (each run is a fresh JVM, so a fresh
# heap layout), and prints every run's median and the median of the runs per representation. At a million
# SAs the result moves by up to 40 % between JVMs on this VM (memory placement), so one run is not a number.
#   [JAR=benchmarks.jar] bench/sad/repeat.sh [RUNS] [SAS] [ADDRESSES] [REPS] [JVM-ARGS]
# e.g. bench/sad/repeat.sh 8 1000000 1 pool,per-address "-Xms12g -Xmx12g -XX:+UseParallelGC -XX:+UseTransparentHugePages"
set -eu
runs=${1:-8}; sas=${2:-1000000}; addresses=${3:-1}; reps=${4:-pool,per-address}
jvm=${5:--Xms12g -Xmx12g -XX:+UseParallelGC -XX:+UseTransparentHugePages}
jar=${JAR:-$(dirname "$0")/../../benchmarks/target/benchmarks.jar}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
i=0
while [ "$i" -lt "$runs" ]; do
  for rep in $(echo "$reps" | tr , ' '); do
    java -cp "$jar" net.poolsa.bench.sad.SadBenchmarkMain --ops inbound --reps "$rep" --addresses "$addresses" \
      --sas "$sas" --shapes prefix --jvm-args "$jvm" | grep '^SUMMARY' | sort -u | tee -a "$out"
  done
  i=$((i + 1))
done
python3 - "$out" <<'PY'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    rep = re.search(r'rep=(\S+)', line).group(1)
    runs.setdefault(rep, []).append(float(re.search(r'median_ns=(\S+)', line).group(1)))
for rep, v in runs.items():
    print("REPEAT rep=%s runs=%d median_of_medians_ns=%g min=%g max=%g each=%s"
          % (rep, len(v), statistics.median(v), min(v), max(v), ",".join("%g" % x for x in v)))
PY
