# Guest test "blk-mq": virtio-blk with num-queues=2 on 2 CPUs (see blk.sh).
BLK_MODE=mq
. /avps/tests/blk.sh
