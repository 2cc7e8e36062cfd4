# Guest test "blk-ro": a read-only virtio-blk disk (see blk.sh).
BLK_MODE=ro
. /avps/tests/blk.sh
