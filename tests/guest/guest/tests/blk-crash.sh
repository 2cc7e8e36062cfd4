# Guest test "blk-crash": the vhost-user back-end is killed in the middle of a
# stream of writes and restarted (see blk.sh, mode crash; run with --chaos daemon).
BLK_MODE=crash
. /avps/tests/blk.sh
