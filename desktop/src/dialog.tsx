/** @jsxImportSource preact */
/**
 * Modal dialog on the native <dialog> element: showModal() gives focus containment, Escape and
 * an inert background for free; focus returns to the opener on close.
 */
import type { ComponentChildren, JSX } from 'preact'
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks'
import { Icon } from './icons.tsx'

export function Dialog({
  title,
  onClose,
  children,
  wide = false,
}: {
  title: string
  onClose: () => void
  children: ComponentChildren
  wide?: boolean
}): JSX.Element {
  const ref = useRef<HTMLDialogElement>(null)
  // layout effect: the dialog is modal before the browser paints it, so a key pressed as soon as
  // its content shows (Escape) already reaches the modal dialog
  useLayoutEffect(() => {
    const opener = document.activeElement as HTMLElement | null
    const el = ref.current
    if (el && !el.open) el.showModal()
    return () => {
      // closed by the app (a button, not Escape): leave the modal state first, else the page
      // behind it is still inert and the opener cannot take the focus back
      if (el?.open) el.close()
      opener?.focus?.()
    }
  }, [])
  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: backdrop clicks only; <dialog> closes on Escape natively
    <dialog
      ref={ref}
      class={`dialog${wide ? ' wide' : ''}`}
      aria-labelledby="dialog-title"
      onClose={onClose}
      onClick={(e) => {
        if (e.target === ref.current) onClose() // click on the backdrop
      }}
    >
      <header class="dialog-head">
        <h2 id="dialog-title">{title}</h2>
        <button type="button" class="icon-button" onClick={onClose} aria-label="Close">
          <Icon name="close" />
        </button>
      </header>
      <div class="dialog-body">{children}</div>
    </dialog>
  )
}

/** An SVG from the daemon shown as an image (never injected as markup). */
export function SvgImage({ svg, alt, size }: { svg: string; alt: string; size: number }): JSX.Element {
  return (
    <img
      class="qr"
      width={size}
      height={size}
      alt={alt}
      src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`}
    />
  )
}

/** A button that copies text and says so for a moment. */
export function CopyButton({ text, label }: { text: string; label: string }): JSX.Element {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle')
  useEffect(() => {
    if (state === 'idle') return
    const t = setTimeout(() => setState('idle'), 2000)
    return () => clearTimeout(t)
  }, [state])
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text)
      setState('copied')
    } catch {
      setState('failed')
    }
  }
  return (
    <button type="button" class="secondary" onClick={copy}>
      <Icon name="copy" size={16} />
      <span aria-live="polite">
        {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed — select the text' : label}
      </span>
    </button>
  )
}
