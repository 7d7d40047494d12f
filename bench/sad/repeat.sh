#!/bin/sh
# Runs inbound cases RUNS times, alternating representations, shapes, SA counts and builds in that order, each
# run in a fresh JVM (so a fresh heap layout), and prints every run's median and the median of the runs per
# case. At a million SAs the result moves by up to 40 % between JVMs on this VM (memory placement, and other
# jobs on a shared machine), so one run is not a number.
#   [SHAPES=prefix] [JAR=benchmarks.jar | JARS="old.jar new.jar"] bench/sad/repeat.sh [RUNS] [SAS] [ADDRESSES] [REPS] [JVM-ARGS]
# SAS, ADDRESSES, REPS and SHAPES may be comma-separated lists; a case that does not apply (a baseline on an
# IPv6 shape) is left out. With JARS, each line names the jar it ran.
# e.g. bench/sad/repeat.sh 8 1000000 1 pool,per-address "-Xms12g -Xmx12g -XX:+UseParallelGC -XX:+UseTransparentHugePages"
#      SHAPES=scattered2,v6-scattered2 bench/sad/repeat.sh 8 100000,1000000 2 pool,list,per-address
set -eu
runs=${1:-8}; sas=${2:-1000000}; addresses=${3:-1}; reps=${4:-pool,per-address}
jvm=${5:--Xms12g -Xmx12g -XX:+UseParallelGC -XX:+UseTransparentHugePages}
shapes=${SHAPES:-prefix}
jars=${JARS:-${JAR:-$(dirname "$0")/../../benchmarks/target/benchmarks.jar}}
for jar in $jars; do
  [ -f "$jar" ] || { echo "repeat.sh: no $jar (build: mvn -B -o -q package -DskipTests -pl benchmarks -am)" >&2; exit 1; }
done
out=$(mktemp); log=$(mktemp)
trap 'rm -f "$out" "$log"' EXIT
i=0
while [ "$i" -lt "$runs" ]; do
  for n in $(echo "$sas" | tr , ' '); do
    for a in $(echo "$addresses" | tr , ' '); do
      for shape in $(echo "$shapes" | tr , ' '); do
        for rep in $(echo "$reps" | tr , ' '); do
          for jar in $jars; do
            if ! java -cp "$jar" net.poolsa.bench.sad.SadBenchmarkMain --ops inbound --reps "$rep" --addresses "$a" \
                --sas "$n" --shapes "$shape" --jvm-args "$jvm" > "$log" 2>&1; then
              tail -20 "$log" >&2
              echo "repeat.sh: $jar failed on $shape $rep $a addresses $n SAs" >&2
              exit 1
            fi
            grep -q '^SKIPPED' "$log" && continue
            line=$(grep '^SUMMARY' "$log" | sort -u)
            [ -n "$line" ] || { tail -20 "$log" >&2; echo "repeat.sh: no SUMMARY line" >&2; exit 1; }
            [ "$jars" = "${jars% *}" ] || line="$line jar=$(basename "$jar")"
            echo "$line" | tee -a "$out"
          done
        done
      done
    done
  done
  i=$((i + 1))
done
python3 - "$out" <<'PY'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    f = dict(kv.split('=', 1) for kv in line.split()[1:])
    key = tuple(f.get(k, '') for k in ('jar', 'shape', 'addresses', 'sas', 'rep'))
    runs.setdefault(key, []).append(float(f['median_ns']))
for (jar, shape, a, n, rep), v in runs.items():
    print("REPEAT %sshape=%s addresses=%s sas=%s rep=%s runs=%d median_of_medians_ns=%g min=%g max=%g each=%s"
          % ("jar=%s " % jar if jar else "", shape, a, n, rep, len(v), statistics.median(v), min(v), max(v),
             ",".join("%g" % x for x in v)))
PY
