// Consumer groups: the list (state, members, lag) and one group's members, assignment and
// committed offsets with the lag of each partition. Both refresh every 3 seconds.
import { api } from './api.js';
import { h, mount, num, badge, errorBox } from './dom.js';

export async function render(main, route) {
  const draw = route.arg ? () => drawGroup(main, route.arg) : () => drawList(main);
  await draw();
  const timer = setInterval(() => draw().catch((e) => mount(main, errorBox(e))), 3000);
  return () => clearInterval(timer);
}

async function drawList(main) {
  const data = await api.groups();
  mount(main,
    h('h1', {}, 'Consumer groups'),
    data.errors.length ? data.errors.map((e) => h('div', { class: 'error' }, e)) : null,
    h('table', { id: 'groups-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Group'), h('th', {}, 'State'), h('th', { class: 'num' }, 'Members'),
        h('th', { class: 'num' }, 'Partitions'), h('th', { class: 'num' }, 'Lag'))),
      h('tbody', {}, data.groups.length ? data.groups.map((g) => h('tr', {},
        h('td', {}, h('a', { href: '#/groups/' + encodeURIComponent(g.group_id) }, g.group_id)),
        h('td', {}, badge(g.state)), h('td', { class: 'num' }, g.members),
        h('td', { class: 'num' }, g.partitions),
        h('td', { class: 'num lag' + (g.lag > 0 ? ' lag-high' : '') }, num(g.lag))))
        : h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No consumer groups.')))));
}

async function drawGroup(main, id) {
  const g = await api.group(id);
  mount(main,
    h('h1', {}, 'Group ', h('span', { id: 'group-id' }, g.group_id), ' ', badge(g.state)),
    h('div', { class: 'toolbar' }, h('a', { href: '#/groups' }, '← all groups'),
      h('span', { class: 'muted' }, `assignor ${g.partition_assignor || '—'} · coordinator ${g.coordinator.host}:${g.coordinator.port} · total lag `),
      h('b', { id: 'group-lag' }, num(g.lag))),
    h('h2', {}, 'Members'),
    h('table', {},
      h('thead', {}, h('tr', {}, h('th', {}, 'Member'), h('th', {}, 'Client'), h('th', {}, 'Host'), h('th', {}, 'Assignment'))),
      h('tbody', {}, g.members.length ? g.members.map((m) => h('tr', {},
        h('td', {}, m.member_id), h('td', {}, m.client_id), h('td', {}, m.host),
        h('td', {}, m.assignment.map((a) => `${a.topic}-${a.partition}`).join(', ') || '—')))
        : h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'No active members.')))),
    h('h2', {}, 'Offsets and lag'),
    h('table', { id: 'offsets-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Topic'), h('th', { class: 'num' }, 'Partition'),
        h('th', { class: 'num' }, 'Committed'), h('th', { class: 'num' }, 'High'), h('th', { class: 'num' }, 'Lag'),
        h('th', {}, 'Member'))),
      h('tbody', {}, g.offsets.map((o) => h('tr', {},
        h('td', {}, h('a', { href: '#/topics/' + encodeURIComponent(o.topic) + '?partition=' + o.partition }, o.topic)),
        h('td', { class: 'num' }, o.partition), h('td', { class: 'num' }, num(o.committed)),
        h('td', { class: 'num' }, num(o.high)),
        h('td', { class: 'num lag' + (o.lag > 0 ? ' lag-high' : '') }, num(o.lag)),
        h('td', {}, o.member_id || '—'))))));
}
