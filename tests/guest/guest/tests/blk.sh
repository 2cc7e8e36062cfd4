# Guest test "blk": virtio-blk through Linux's own virtio_blk driver.
# Sourced by /init (busybox sh); uses avps/result from there. blk-ro.sh and
# blk-mq.sh set BLK_MODE and source this file.
#   data (default): write a random pattern with dd conv=fsync (FLUSH), drop
#         caches, read it back; discard (blkdiscard) and write zeroes
#         (BLKZEROOUT) a range; report each range's md5 as AVPS-SUM so the host
#         compares it with its image file after the guest is done.
#   ro:   the disk is read-only; a write fails; the data reads back unchanged.
#   mq:   the disk has 2 hardware queues (/sys/block/DISK/mq); data as above.
#   crash: (blk-crash.sh, run with --chaos daemon and a daemon that holds each
#         request, latency-ms) 8 MiB written by 4 writers in 64 direct 128 KiB
#         writes; a second in, the guest announces AVPS-PHASE and the host kills
#         the daemon (SIGKILL) and starts a new one; QEMU reconnects and the new
#         daemon resubmits what was in flight (INFLIGHT_SHMFD). Every write must
#         complete, and the pattern must read back whole, in the guest and in
#         the host's image.

blk_mode="${BLK_MODE:-data}"
find_dev 0x0002
blk_dev="$dut_dev" blk_drv="$dut_drv"
disk=""
[ -n "$blk_dev" ] && disk="$(ls "/sys/bus/virtio/devices/$blk_dev/block" 2>/dev/null | head -n1)"
if [ -z "$blk_dev" ]; then
  result "blk-present FAIL no virtio device with id 2"
elif [ "$blk_drv" != "virtio_blk" ] || [ -z "$disk" ]; then
  result "blk-present FAIL $blk_dev bound to '${blk_drv:-nothing}', disk '${disk:-none}'"
else
  result "blk-present PASS /dev/$disk"
fi
[ -b "/dev/$disk" ] || mdev -s

blk_md5() { md5sum | cut -d' ' -f1; }
# md5 of LEN bytes at OFF (both multiples of 4096) read from the disk
blk_read_md5() {
  dd if="/dev/$disk" bs=4096 skip="$(($1 / 4096))" count="$(($2 / 4096))" 2>/dev/null | blk_md5
}
blk_drop() { sync; echo 3 >/proc/sys/vm/drop_caches; }

blk_data() {
  off=$((512 * 1024)) len=$((1024 * 1024))
  dd if=/dev/urandom of=/tmp/pat bs=4096 count=$((len / 4096)) 2>/dev/null
  want="$(blk_md5 </tmp/pat)"
  if dd if=/tmp/pat of="/dev/$disk" bs=4096 seek=$((off / 4096)) conv=fsync 2>/tmp/dd.err; then
    result "blk-write PASS $len bytes at $off, fsync"
  else
    result "blk-write FAIL $(tr '\n' ' ' </tmp/dd.err | cut -c1-80)"
  fi
  blk_drop
  got="$(blk_read_md5 $off $len)"
  if [ "$got" = "$want" ]; then result "blk-readback PASS $got"; else result "blk-readback FAIL wrote $want, read $got"; fi
  avps "SUM data $off $len $got"

  # DISCARD: 256 KiB at 2 MiB (away from the pattern, which the host checks
  # last). What a discarded range reads as is the device's business; the
  # host checks it matches the image.
  off=$((2 * 1024 * 1024))
  dmax="$(cat "/sys/block/$disk/queue/discard_max_bytes" 2>/dev/null)"
  avps "INFO discard_max_bytes ${dmax:-missing} discard_granularity $(cat "/sys/block/$disk/queue/discard_granularity" 2>/dev/null)"
  if [ "${dmax:-0}" -gt 0 ]; then
    if blkdiscard -o "$off" -l 262144 "/dev/$disk" 2>/tmp/bd.err; then
      result "blk-discard PASS"
    else
      result "blk-discard FAIL $(tr '\n' ' ' </tmp/bd.err | cut -c1-80)"
    fi
    blk_drop
    avps "SUM discard $off 262144 $(blk_read_md5 "$off" 262144)"
  else
    result "blk-discard FAIL the disk offers no discard"
  fi

  # WRITE_ZEROES: the next 256 KiB must read back as zeroes.
  zoff=$((off + 262144))
  wmax="$(cat "/sys/block/$disk/queue/write_zeroes_max_bytes" 2>/dev/null)"
  avps "INFO write_zeroes_max_bytes ${wmax:-missing}"
  zmd5="$(dd if=/dev/zero bs=4096 count=64 2>/dev/null | blk_md5)"
  if [ "${wmax:-0}" -gt 0 ] && blkzero "/dev/$disk" "$zoff" 262144 2>/tmp/bz.err; then
    blk_drop
    got="$(blk_read_md5 "$zoff" 262144)"
    if [ "$got" = "$zmd5" ]; then result "blk-write-zeroes PASS"; else result "blk-write-zeroes FAIL read $got"; fi
    avps "SUM zeroes $zoff 262144 $got"
  else
    result "blk-write-zeroes FAIL max ${wmax:-missing} $(tr '\n' ' ' </tmp/bz.err 2>/dev/null | cut -c1-80)"
  fi

  # FLUSH: an explicit cache flush of the whole disk.
  if blockdev --flushbufs "/dev/$disk" 2>/dev/null; then result "blk-flush PASS"; else result "blk-flush FAIL"; fi
}

if [ -n "$disk" ]; then
  sectors="$(cat "/sys/block/$disk/size")"
  avps "INFO blk-sectors $sectors ro $(cat "/sys/block/$disk/ro") cache $(cat "/sys/block/$disk/queue/write_cache" 2>/dev/null) serial $(cat "/sys/block/$disk/serial" 2>/dev/null)"
  serial="$(cat "/sys/block/$disk/serial" 2>/dev/null)"
  want_serial="$(cmdline_arg avps.blk_serial)"
  if [ -z "$want_serial" ] || [ "$serial" = "$want_serial" ]; then
    result "blk-serial PASS ${serial:-none}"
  else
    result "blk-serial FAIL GET_ID gave '$serial', want '$want_serial'"
  fi
  case "$blk_mode" in
    data) blk_data ;;
    crash)
      # 4 writers, 16 direct 128 KiB writes each; the daemon holds every
      # request (latency-ms) so some are nearly always in flight when it dies.
      off=$((1024 * 1024)) chunk=131072 n=64 per=16
      dd if=/dev/urandom of=/tmp/pat bs=$chunk count=$n 2>/dev/null
      want="$(blk_md5 </tmp/pat)"
      for w in 0 1 2 3; do
        (
          ok=0 bad=0 i=$((w * per))
          while [ $i -lt $(((w + 1) * per)) ]; do
            if dd if=/tmp/pat of="/dev/$disk" bs=$chunk skip=$i seek=$((off / chunk + i)) count=1 \
                 oflag=direct 2>/dev/null; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
            i=$((i + 1))
          done
          echo "$ok $bad" >/tmp/writer$w
        ) &
      done
      sleep 1
      avps "PHASE crash"
      wait
      ok=0 bad=0
      for w in 0 1 2 3; do
        read -r o b </tmp/writer$w
        ok=$((ok + o)) bad=$((bad + b))
      done
      if [ $bad -eq 0 ] && [ $ok -eq $n ]; then result "blk-crash-writes PASS $ok of $n direct writes completed"
      else result "blk-crash-writes FAIL $ok completed, $bad failed of $n"; fi
      if blockdev --flushbufs "/dev/$disk" 2>/dev/null; then result "blk-crash-flush PASS"; else result "blk-crash-flush FAIL"; fi
      blk_drop
      got="$(blk_read_md5 $off $((chunk * n)))"
      if [ "$got" = "$want" ]; then result "blk-crash-readback PASS $((chunk * n)) bytes, md5 $got"
      else
        # which writes did not arrive
        lost="" i=0
        while [ $i -lt $n ]; do
          a="$(dd if=/tmp/pat bs=$chunk skip=$i count=1 2>/dev/null | blk_md5)"
          b="$(dd if="/dev/$disk" bs=$chunk skip=$((off / chunk + i)) count=1 2>/dev/null | blk_md5)"
          [ "$a" = "$b" ] || lost="$lost $i"
          i=$((i + 1))
        done
        result "blk-crash-readback FAIL wrote $want, read $got; writes lost:$lost"
      fi
      avps "SUM crash $off $((chunk * n)) $got" ;;
    mq)
      nmq="$(ls "/sys/block/$disk/mq" 2>/dev/null | wc -l)"
      if [ "$nmq" -eq 2 ]; then result "blk-mq PASS 2 queues"; else result "blk-mq FAIL $nmq queues in /sys/block/$disk/mq"; fi
      blk_data ;;
    ro)
      if [ "$(cat "/sys/block/$disk/ro")" = 1 ]; then result "blk-ro-flag PASS"; else result "blk-ro-flag FAIL /sys/block/$disk/ro is not 1"; fi
      before="$(blk_read_md5 0 1048576)"
      dd if=/dev/urandom of=/tmp/pat bs=4096 count=16 2>/dev/null
      if dd if=/tmp/pat of="/dev/$disk" bs=4096 count=16 conv=fsync 2>/dev/null; then
        result "blk-ro-write FAIL a write to the read-only disk succeeded"
      else
        result "blk-ro-write PASS the write failed"
      fi
      blk_drop
      after="$(blk_read_md5 0 1048576)"
      if [ "$before" = "$after" ]; then result "blk-ro-unchanged PASS"; else result "blk-ro-unchanged FAIL"; fi
      avps "SUM ro 0 1048576 $after" ;;
  esac
fi
