/** @jsxImportSource preact */
/** New group: a name and the contacts to invite (they join when they accept). */
import type { JSX } from 'preact'
import { useMemo, useState } from 'preact/hooks'
import { Avatar } from './avatar.tsx'
import { Dialog } from './dialog.tsx'
import type { AppStore } from './logic/app-store.ts'
import { filterContacts } from './logic/conversations.ts'
import { checkGroupName, MAX_CREATE_INVITES, MAX_GROUP_NAME_CHARS } from './logic/groups.ts'
import { useAction } from './use-action.ts'

export function CreateGroup({ app, onClose }: { app: AppStore; onClose: () => void }): JSX.Element {
  const [name, setName] = useState('')
  const [query, setQuery] = useState('')
  const [picked, setPicked] = useState<ReadonlySet<string>>(new Set())
  const [nameProblem, setNameProblem] = useState<string | null>(null)
  const action = useAction()
  const contacts = app.state.contacts
  const shown = useMemo(() => filterContacts(contacts, query), [contacts, query])
  const full = picked.size >= MAX_CREATE_INVITES

  const toggle = (userId: string, on: boolean) => {
    const next = new Set(picked)
    if (on) next.add(userId)
    else next.delete(userId)
    setPicked(next)
  }

  const submit = async (e: Event) => {
    e.preventDefault()
    const checked = checkGroupName(name)
    if (!checked.ok) {
      setNameProblem(checked.reason)
      return
    }
    setNameProblem(null)
    // keep the picker's order stable: contacts order, not click order
    const members = contacts.filter((c) => picked.has(c.userId)).map((c) => c.userId)
    if (await action.run('create', () => app.createGroup(checked.name, members))) onClose()
  }

  return (
    <Dialog title="New group" onClose={onClose}>
      <form onSubmit={submit} class="stack" noValidate>
        <label class="field">
          <span>Group name</span>
          <input
            value={name}
            maxLength={MAX_GROUP_NAME_CHARS}
            aria-invalid={nameProblem !== null}
            aria-describedby={nameProblem ? 'group-name-problem' : undefined}
            onInput={(e) => setName(e.currentTarget.value)}
            autoFocus
          />
          {nameProblem && (
            <small id="group-name-problem" class="error-text" role="alert">
              {nameProblem}
            </small>
          )}
        </label>
        <fieldset class="pick">
          <legend class="section-title">
            Invite contacts{picked.size > 0 ? ` (${picked.size} selected)` : ''}
          </legend>
          {contacts.length === 0 ? (
            <p class="muted small">
              You have no contacts yet. Create the group now and invite people from its details later.
            </p>
          ) : (
            <>
              {contacts.length > 6 && (
                <input
                  type="search"
                  placeholder="Filter contacts"
                  aria-label="Filter contacts"
                  value={query}
                  onInput={(e) => setQuery(e.currentTarget.value)}
                />
              )}
              <ul class="pick-list">
                {shown.map((c) => {
                  const on = picked.has(c.userId)
                  return (
                    <li key={c.userId}>
                      <label class="pick-row">
                        <input
                          type="checkbox"
                          checked={on}
                          disabled={!on && full}
                          onChange={(e) => toggle(c.userId, e.currentTarget.checked)}
                        />
                        <Avatar name={c.displayName} id={c.userId} size={32} />
                        <span class="pick-name">{c.displayName}</span>
                      </label>
                    </li>
                  )
                })}
                {shown.length === 0 && <li class="muted small">No contact matches.</li>}
              </ul>
              {full && (
                <p class="muted small">
                  At most {MAX_CREATE_INVITES} at once; invite more from the group details.
                </p>
              )}
              <p class="muted small">They join when they accept your invitation.</p>
            </>
          )}
        </fieldset>
        {action.error && (
          <p class="error" role="alert">
            {action.error}
          </p>
        )}
        <div class="actions">
          <button type="button" class="secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={action.busy !== null}>
            {action.busy ? 'Creating…' : 'Create group'}
          </button>
        </div>
      </form>
    </Dialog>
  )
}
