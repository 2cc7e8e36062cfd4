# Guest test "net-mq": as "net", with two queue pairs (the host asks for them
# with avps.netq=2 and -smp 2; Linux enables as many pairs as CPUs).
. /avps/tests/net.sh
