/** @jsxImportSource preact */
/**
 * Group details: name (rename), members with roles (set role, remove), pending invitations
 * (revoke), invite a contact, leave. Controls appear only when our role allows them; the
 * daemon decides, and its refusals show where the action was taken. Members are re-read
 * whenever the group's state hash changes (group.updated).
 */
import type { JSX } from 'preact'
import { useEffect, useMemo, useState } from 'preact/hooks'
import type { GroupMember, GroupSummary, Result } from '../../node/src/rpc/api.ts'
import { Avatar } from './avatar.tsx'
import { Dialog } from './dialog.tsx'
import { Icon } from './icons.tsx'
import type { AppStore } from './logic/app-store.ts'
import {
  checkGroupName,
  type GroupPermissions,
  groupPermissions,
  groupSubtitle,
  inviteCandidates,
  MAX_GROUP_NAME_CHARS,
  roleLabel,
  senderNames,
  shortUserId,
  sortMembers,
} from './logic/groups.ts'
import { describeError } from './logic/rpc-errors.ts'
import { type Action, useAction } from './use-action.ts'

type Roster = Result<'groups.members'>

function Rename({ app, group }: { app: AppStore; group: GroupSummary }): JSX.Element {
  const [editing, setEditing] = useState(false)
  const [name, setName] = useState(group.name)
  const [problem, setProblem] = useState<string | null>(null)
  const action = useAction()
  const error = problem ?? action.error
  const save = async (e: Event) => {
    e.preventDefault()
    const checked = checkGroupName(name)
    setProblem(checked.ok ? null : checked.reason)
    if (!checked.ok) return
    if (checked.name === group.name) return setEditing(false)
    if (await action.run('rename', () => app.renameGroup(group.groupId, checked.name))) setEditing(false)
  }
  if (!editing)
    return (
      <button
        type="button"
        class="secondary small-button"
        onClick={() => {
          setName(group.name)
          setEditing(true)
        }}
      >
        Rename
      </button>
    )
  return (
    <form class="rename" onSubmit={save}>
      <input
        value={name}
        maxLength={MAX_GROUP_NAME_CHARS}
        aria-label="New group name"
        aria-invalid={error !== null}
        onInput={(e) => setName(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.preventDefault()
            e.stopPropagation()
            setEditing(false)
          }
        }}
        // biome-ignore lint/a11y/noAutofocus: the field the user just asked to edit
        autoFocus
      />
      <button type="button" class="secondary small-button" onClick={() => setEditing(false)}>
        Cancel
      </button>
      <button type="submit" class="primary small-button" disabled={action.busy !== null}>
        Save
      </button>
      {error && (
        <p class="error small rename-error" role="alert">
          {error}
        </p>
      )}
    </form>
  )
}

function MemberRow({
  app,
  group,
  member,
  me,
  may,
  name,
  action,
}: {
  app: AppStore
  group: GroupSummary
  member: GroupMember
  me: boolean
  may: GroupPermissions
  name: string
  action: Action
}): JSX.Element {
  const [confirming, setConfirming] = useState(false)
  const canRemove = may.canRemove(member.role, member.userId)
  const canSetRole = may.canSetRole(member.role, member.userId)
  const nextRole = member.role === 'admin' ? 'member' : 'admin'
  const key = (what: string) => `${what}:${member.userId}`
  return (
    <li class="member">
      <Avatar name={name} id={member.userId} size={36} />
      <span class="member-name">
        <span>{me ? `${name} (you)` : name}</span>
        <span class="muted small mono">{shortUserId(member.userId)}</span>
      </span>
      <span class={`role role-${member.role}`}>{roleLabel(member.role)}</span>
      {confirming ? (
        <span class="member-actions">
          <button type="button" class="secondary small-button" onClick={() => setConfirming(false)}>
            Keep
          </button>
          <button
            type="button"
            class="danger small-button"
            disabled={action.busy !== null}
            onClick={() =>
              void action.run(key('remove'), () => app.removeFromGroup(group.groupId, member.userId))
            }
          >
            Remove {name}
          </button>
        </span>
      ) : (
        (canSetRole || canRemove) && (
          <span class="member-actions">
            {canSetRole && (
              <button
                type="button"
                class="secondary small-button"
                disabled={action.busy !== null}
                aria-label={`Make ${name} ${nextRole === 'admin' ? 'an admin' : 'a member'}`}
                onClick={() =>
                  void action.run(key('role'), () => app.setGroupRole(group.groupId, member.userId, nextRole))
                }
              >
                {nextRole === 'admin' ? 'Make admin' : 'Make member'}
              </button>
            )}
            {canRemove && (
              <button
                type="button"
                class="secondary small-button"
                aria-label={`Remove ${name} from the group`}
                onClick={() => setConfirming(true)}
              >
                Remove
              </button>
            )}
          </span>
        )
      )}
    </li>
  )
}

function InviteForm({
  app,
  group,
  roster,
  may,
}: {
  app: AppStore
  group: GroupSummary
  roster: Roster
  may: GroupPermissions
}): JSX.Element {
  const candidates = inviteCandidates(app.state.contacts, roster.members, roster.invitations)
  const [userId, setUserId] = useState('')
  const [role, setRole] = useState<'member' | 'admin'>('member')
  const action = useAction()
  const chosen = candidates.some((c) => c.userId === userId) ? userId : (candidates[0]?.userId ?? '')
  const submit = async (e: Event) => {
    e.preventDefault()
    if (chosen === '') return
    if (await action.run('invite', () => app.inviteToGroup(group.groupId, chosen, role))) setUserId('')
  }
  return (
    <form class="invite-form" onSubmit={submit} aria-labelledby="invite-title">
      <h3 id="invite-title" class="section-title">
        Invite a contact
      </h3>
      {candidates.length === 0 ? (
        <p class="muted small">Every contact is already in this group or invited. Add a contact first.</p>
      ) : (
        <div class="invite-row">
          <select
            aria-label="Contact to invite"
            value={chosen}
            onChange={(e) => setUserId(e.currentTarget.value)}
          >
            {candidates.map((c) => (
              <option key={c.userId} value={c.userId}>
                {c.displayName}
              </option>
            ))}
          </select>
          {may.canInviteAdmin && (
            <select
              aria-label="Role of the invited contact"
              value={role}
              onChange={(e) => setRole(e.currentTarget.value === 'admin' ? 'admin' : 'member')}
            >
              <option value="member">Member</option>
              <option value="admin">Admin</option>
            </select>
          )}
          <button type="submit" class="primary small-button" disabled={action.busy !== null}>
            <Icon name="user-plus" size={16} /> Invite
          </button>
        </div>
      )}
      {action.error && (
        <p class="error small" role="alert">
          {action.error}
        </p>
      )}
    </form>
  )
}

function Leave({ app, group }: { app: AppStore; group: GroupSummary }): JSX.Element {
  const [confirming, setConfirming] = useState(false)
  const action = useAction()
  const owner = group.role === 'owner'
  return (
    <div class="leave">
      {confirming ? (
        <>
          <p class="small">
            Leave {group.name}? You will no longer receive its messages; what you already have stays here.
            {owner && ' Ownership passes to another member.'}
          </p>
          <div class="actions">
            <button type="button" class="secondary" onClick={() => setConfirming(false)}>
              Stay
            </button>
            <button
              type="button"
              class="danger"
              disabled={action.busy !== null}
              onClick={() => void action.run('leave', () => app.leaveGroup(group.groupId))}
            >
              Leave group
            </button>
          </div>
        </>
      ) : (
        <button type="button" class="secondary danger-outline" onClick={() => setConfirming(true)}>
          <Icon name="leave" size={16} /> Leave group
        </button>
      )}
      {action.error && (
        <p class="error small" role="alert">
          {action.error}
        </p>
      )}
    </div>
  )
}

export function GroupDetails({
  app,
  group,
  onClose,
}: {
  app: AppStore
  group: GroupSummary
  onClose: () => void
}): JSX.Element {
  const [roster, setRoster] = useState<Roster | null>(null)
  const [loadError, setLoadError] = useState<string | null>(null)
  const memberAction = useAction()
  const myUserId = app.state.identity?.userId ?? null
  useEffect(() => {
    let live = true
    app.groupMembers(group.groupId).then(
      (r) => {
        if (!live) return
        setRoster(r)
        setLoadError(null)
      },
      (e) => live && setLoadError(describeError(e)),
    )
    return () => {
      live = false
    }
  }, [group.groupId, group.stateHash, group.status])
  const may = groupPermissions(group, myUserId)
  const names = useMemo(
    () => senderNames(roster?.members ?? [], app.state.contacts),
    [roster, app.state.contacts],
  )
  const nameOf = (userId: string) =>
    userId === myUserId ? 'You' : (names.get(userId) ?? shortUserId(userId))
  const members = roster ? sortMembers(roster.members, myUserId) : []

  return (
    <Dialog title="Group details" onClose={onClose} wide>
      <div class="stack">
        <div class="group-head">
          <Avatar name={group.name} id={group.conversationId} size={56} />
          <div class="group-head-text">
            <div class="big-name">{group.name}</div>
            <div class="muted small">{groupSubtitle(group)}</div>
          </div>
          {may.canRename && <Rename key={group.name} app={app} group={group} />}
        </div>
        {loadError && (
          <p class="error" role="alert">
            {loadError}
          </p>
        )}
        {roster === null && !loadError && <p class="muted">Loading members…</p>}
        {roster && (
          <section aria-labelledby="members-title">
            <h3 id="members-title" class="section-title">
              Members ({members.length})
            </h3>
            <ul class="member-list">
              {members.map((m) => (
                <MemberRow
                  key={m.userId}
                  app={app}
                  group={group}
                  member={m}
                  me={m.userId === myUserId}
                  may={may}
                  name={m.userId === myUserId ? (app.state.identity?.displayName ?? 'You') : nameOf(m.userId)}
                  action={memberAction}
                />
              ))}
            </ul>
            {roster.invitations.length > 0 && (
              <>
                <h3 class="section-title">Invited ({roster.invitations.length})</h3>
                <ul class="member-list">
                  {roster.invitations.map((inv) => {
                    const name = nameOf(inv.userId)
                    return (
                      <li key={inv.userId} class="member invited">
                        <Avatar name={name} id={inv.userId} size={36} />
                        <span class="member-name">
                          <span>{name}</span>
                          <span class="muted small">
                            invited by {nameOf(inv.invitedBy)} as {roleLabel(inv.role).toLowerCase()}
                          </span>
                        </span>
                        <span class="role">Pending</span>
                        {may.canRemove(inv.role, inv.userId) && (
                          <span class="member-actions">
                            <button
                              type="button"
                              class="secondary small-button"
                              disabled={memberAction.busy !== null}
                              aria-label={`Revoke the invitation of ${name}`}
                              onClick={() =>
                                void memberAction.run(`revoke:${inv.userId}`, () =>
                                  app.removeFromGroup(group.groupId, inv.userId),
                                )
                              }
                            >
                              Revoke
                            </button>
                          </span>
                        )}
                      </li>
                    )
                  })}
                </ul>
              </>
            )}
            {memberAction.error && (
              <p class="error small" role="alert">
                {memberAction.error}
              </p>
            )}
          </section>
        )}
        {roster && may.canInvite && <InviteForm app={app} group={group} roster={roster} may={may} />}
        {may.canLeave && <Leave app={app} group={group} />}
      </div>
    </Dialog>
  )
}
