/** @jsxImportSource preact */
/** Group invitations waiting for an answer, above the conversation list: accept or decline. */
import type { JSX } from 'preact'
import { useState } from 'preact/hooks'
import type { GroupSummary } from '../../node/src/rpc/api.ts'
import { Avatar } from './avatar.tsx'
import type { AppStore } from './logic/app-store.ts'
import { pendingInvitations } from './logic/groups.ts'
import { describeError } from './logic/rpc-errors.ts'

function Invitation({
  app,
  group,
  nameOf,
}: {
  app: AppStore
  group: GroupSummary
  nameOf: (userId: string) => string
}): JSX.Element {
  const [busy, setBusy] = useState<'accept' | 'decline' | null>(null)
  const [error, setError] = useState<string | null>(null)
  const act = async (what: 'accept' | 'decline') => {
    setBusy(what)
    setError(null)
    try {
      if (what === 'accept') await app.acceptInvitation(group.groupId)
      else await app.declineInvitation(group.groupId)
    } catch (e) {
      setError(describeError(e))
      setBusy(null)
    }
  }
  const headingId = `invite-${group.groupId}`
  const by = group.invitedBy === null ? 'Someone' : nameOf(group.invitedBy)
  return (
    <li class="invitation" aria-labelledby={headingId}>
      <Avatar name={group.name} id={group.conversationId} size={40} />
      <div class="invitation-body">
        <span class="conv-title" id={headingId}>
          {group.name}
        </span>
        <span class="muted small">
          {by} invited you · {group.memberCount} {group.memberCount === 1 ? 'member' : 'members'}
        </span>
        {error && (
          <span class="error-text" role="alert">
            {error}
          </span>
        )}
        <span class="invitation-actions">
          <button
            type="button"
            class="secondary small-button"
            disabled={busy !== null}
            onClick={() => act('decline')}
            aria-label={`Decline the invitation to ${group.name}`}
          >
            {busy === 'decline' ? 'Declining…' : 'Decline'}
          </button>
          <button
            type="button"
            class="primary small-button"
            disabled={busy !== null}
            onClick={() => act('accept')}
            aria-label={`Accept the invitation to ${group.name}`}
          >
            {busy === 'accept' ? 'Joining…' : 'Accept'}
          </button>
        </span>
      </div>
    </li>
  )
}

export function Invitations({
  app,
  groups,
  nameOf,
}: {
  app: AppStore
  groups: readonly GroupSummary[]
  nameOf: (userId: string) => string
}): JSX.Element | null {
  const pending = pendingInvitations(groups)
  if (pending.length === 0) return null
  return (
    <section class="invitations" aria-labelledby="invitations-title">
      <h2 id="invitations-title" class="section-title">
        Group invitations ({pending.length})
      </h2>
      <ul>
        {pending.map((g) => (
          <Invitation key={g.groupId} app={app} group={g} nameOf={nameOf} />
        ))}
      </ul>
    </section>
  )
}
