import assert from 'node:assert/strict';
import { test } from 'node:test';
import { firewallChains, hostLanSubnets, instanceJumps, instanceRules, type GuardedNetwork } from './firewall-rules.js';

const chains = firewallChains('/run/podman/podman.sock');
const network: GuardedNetwork = { instanceId: 'abcdefghijkl', bridge: 'lh-abcdefghijkl', gateway: '10.89.3.1', egress: 'allow' };

test('chain names fit xtables (28 characters) and differ per engine', () => {
  for (const name of [chains.input, chains.forward, chains.instanceInput('abcdefghijkl'), chains.instanceForward('x'.repeat(40))])
    assert.ok(name.length <= 28, name);
  assert.notEqual(firewallChains('/run/docker.sock').input, chains.input);
  assert.notEqual(chains.instanceInput('a'.repeat(40)), chains.instanceInput('b'.repeat(40)));
  assert.equal(chains.forwardOf(chains.instanceInput('a'.repeat(40))), chains.instanceForward('a'.repeat(40)));
  assert.equal(chains.forwardOf(firewallChains('/run/docker.sock').instanceInput('abc')), undefined, "another engine's chains are not ours");
});

test('IPv4: the host only answers DNS at the gateway; private, link-local and reserved ranges and the host LANs are dropped', () => {
  const rules = instanceRules(chains, network, 'ipv4', ['192.0.2.0/24']);
  const input = chains.instanceInput(network.instanceId);
  const forward = chains.instanceForward(network.instanceId);
  assert.match(rules[0] ?? '', new RegExp(`^-A ${input} -m comment --comment labhub:[0-9a-f]{16}$`));
  assert.ok(rules.includes(`-A ${input} -d 10.89.3.1/32 -p udp -m udp --dport 53 -j RETURN`));
  assert.ok(rules.includes(`-A ${input} -d 10.89.3.1/32 -p tcp -m tcp --dport 53 -j RETURN`));
  assert.equal(rules.filter((rule) => rule.startsWith(`-A ${input} `)).at(-1), `-A ${input} -j DROP`);
  for (const range of [
    '10.0.0.0/8',
    '172.16.0.0/12',
    '192.168.0.0/16',
    '100.64.0.0/10',
    '169.254.0.0/16',
    '127.0.0.0/8',
    '224.0.0.0/4',
    '240.0.0.0/4',
    '192.0.2.0/24',
  ]) {
    assert.ok(rules.includes(`-A ${forward} -d ${range} -j DROP`), range);
  }
  assert.ok(rules.includes(`-A ${forward} -o lh-abcdefghijkl -j DROP`), 'nothing from outside starts a connection into the network');
  assert.ok(!rules.includes(`-A ${forward} -j DROP`), 'allow lets the rest out');
  assert.ok(instanceRules(chains, { ...network, egress: 'deny' }, 'ipv4', []).includes(`-A ${forward} -j DROP`), 'deny lets nothing out');
});

test('IPv6: nothing but the network itself', () => {
  const rules = instanceRules(chains, network, 'ipv6', []);
  const forward = chains.instanceForward(network.instanceId);
  assert.deepEqual(rules.slice(2), [
    `-A ${chains.instanceInput(network.instanceId)} -j DROP`,
    `-A ${forward} -i lh-abcdefghijkl -o lh-abcdefghijkl -j RETURN`,
    `-A ${forward} -j DROP`,
  ]);
});

test('the fingerprint changes with the rules', () => {
  assert.notEqual(instanceRules(chains, network, 'ipv4', [])[0], instanceRules(chains, { ...network, egress: 'deny' }, 'ipv4', [])[0]);
  assert.equal(instanceRules(chains, network, 'ipv4', [])[0], instanceRules(chains, network, 'ipv4', [])[0]);
});

test('jumps are keyed on the bridge, both ways through FORWARD', () => {
  assert.deepEqual(instanceJumps(chains, network), [
    `-A ${chains.input} -i lh-abcdefghijkl -j ${chains.instanceInput(network.instanceId)}`,
    `-A ${chains.forward} -i lh-abcdefghijkl -j ${chains.instanceForward(network.instanceId)}`,
    `-A ${chains.forward} -o lh-abcdefghijkl -j ${chains.instanceForward(network.instanceId)}`,
  ]);
});

test('host LANs: only subnets not already blocked, as networks', () => {
  assert.deepEqual(hostLanSubnets(['192.0.2.2/24', '10.89.3.1/24', '172.20.0.1/16', '203.0.113.77/28', '198.51.100.9/32', '0.0.0.0/0', 'fd00::2/64']), [
    '192.0.2.0/24',
    '198.51.100.9/32',
    '203.0.113.64/28',
  ]);
});
