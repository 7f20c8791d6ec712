import { expect, it } from 'vitest';
import { routedEndpoints } from '../../cluster/kube-proxy-rules.ts';

// Rules as kube-proxy 1.34 writes them in iptables mode (a Service with two ready endpoints, and
// another Service whose name begins with the same letters).
const nat = `*nat
:KUBE-SVC-AL4YJ6QHB7U4HFQ7 - [0:0]
-A KUBE-SEP-BHRXNHI4SFG4XHZZ -p tcp -m comment --comment "ns-a/fraud:http" -m tcp -j DNAT --to-destination 10.88.0.6:8080
-A KUBE-SERVICES -d 10.96.0.70/32 -p tcp -m comment --comment "ns-a/fraud:http cluster IP" -m tcp --dport 8080 -j KUBE-SVC-AL4YJ6QHB7U4HFQ7
-A KUBE-SVC-AL4YJ6QHB7U4HFQ7 ! -s 10.88.0.0/16 -d 10.96.0.70/32 -p tcp -m comment --comment "ns-a/fraud:http cluster IP" -m tcp --dport 8080 -j KUBE-MARK-MASQ
-A KUBE-SVC-AL4YJ6QHB7U4HFQ7 -m comment --comment "ns-a/fraud:http -> 10.88.0.6:8080" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-BHRXNHI4SFG4XHZZ
-A KUBE-SVC-AL4YJ6QHB7U4HFQ7 -m comment --comment "ns-a/fraud:http -> 10.88.0.4:8080" -j KUBE-SEP-JBV6X3OZ25CWNP7Y
-A KUBE-SVC-QQQQQQQQQQQQQQQQ -m comment --comment "ns-a/fraud-canary:http -> 10.88.0.9:8080" -j KUBE-SEP-QQQQQQQQQQQQQQQQ
COMMIT
`;

it('lists the endpoints a Service port routes to, sorted, and nothing of other Services', () => {
  expect(routedEndpoints(nat, 'ns-a', 'fraud', 'http')).toEqual(['10.88.0.4:8080', '10.88.0.6:8080']);
  expect(routedEndpoints(nat, 'ns-a', 'fraud-canary', 'http')).toEqual(['10.88.0.9:8080']);
});

it('lists nothing for a Service kube-proxy has no rules for yet, or another port or namespace', () => {
  expect(routedEndpoints(nat, 'ns-b', 'fraud', 'http')).toEqual([]);
  expect(routedEndpoints(nat, 'ns-a', 'fraud', 'metrics')).toEqual([]);
  expect(routedEndpoints('', 'ns-a', 'fraud', 'http')).toEqual([]);
});
