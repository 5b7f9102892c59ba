#!/bin/bash
# flux ping: the router's broker service, services by name, ranks, errors.
. "$(dirname "$0")/lib.sh"

start_instance

test_expect_success 'ping the router by name' '
    flux ping -c 2 -i 0 broker >out &&
    test $(grep -c "^broker.ping pad=0 seq=[01] time=[0-9.]* ms (" out) -eq 2
'
test_expect_success 'ping rank 0 by number' '
    flux ping -c 1 0 | grep -q "^broker.ping pad=0 seq=0"
'
test_expect_success 'ping with RANK!SERVICE and padding' '
    flux ping -c 1 -p 100 "0!broker" | grep -q "^broker.ping pad=100 seq=0"
'
test_expect_success 'the route names the client connection and the rank' '
    flux ping -c 1 broker | grep -q "(0\.[0-9]*!0)$"
'
test_expect_status 1 'a service nobody provides is ENOSYS, named' '
    flux ping -c 1 nosuch 2>err; rc=$?; grep -q "^flux-ping: service .nosuch. is not available$" err || exit 9; exit $rc
'
test_expect_status 1 'an unreachable rank fails promptly' '
    flux ping -c 1 -r 5 broker 2>err; rc=$?; grep -q "rank 5" err || exit 9; exit $rc
'
test_expect_status 2 'a bad target is a usage error' 'flux ping -c 1 "a.b"'
test_expect_status 2 'no target is a usage error' 'flux ping'
stop_instance
test_expect_success 'the instance stops when its command is killed' 'test $STOP_RC -eq 143'
test_done
