// Pointer drag of forecast bars. Only the pixel distance travels to .NET, which rounds it to days and saves the draft;
// while dragging, a ghost outside Blazor's DOM shows where the bar will land.
export function attach(root, dotnet) {
    if (!root) return null; // the page was left before its first render reached the browser
    let drag = null;
    const end = async (e, report) => {
        if (!drag || e.pointerId !== drag.pointer) return;
        const d = drag;
        drag = null;
        const dx = e.clientX - d.x0;
        try {
            if (report && Math.abs(dx) >= 2) await dotnet.invokeMethodAsync('OnBarDropped', d.pfa, d.mode, dx);
        } finally {
            d.ghost.remove();
            d.bar.classList.remove('tl-dragging');
        }
    };
    const down = e => {
        const handle = e.button === 0 ? e.target.closest('[data-drag]') : null;
        if (!handle || drag) return;
        const bar = handle.closest('[data-pfa]');
        const box = bar.getBoundingClientRect();
        const ghost = document.createElement('div');
        ghost.className = 'tl-ghost';
        Object.assign(ghost.style, { position: 'fixed', zIndex: 2000, pointerEvents: 'none', boxSizing: 'border-box',
            border: '2px dashed #ef6c00', background: 'rgba(239, 108, 0, .25)', borderRadius: '2px', top: box.top + 'px', height: box.height + 'px', left: box.left + 'px', width: box.width + 'px' });
        document.body.appendChild(ghost);
        bar.classList.add('tl-dragging');
        drag = { pointer: e.pointerId, x0: e.clientX, mode: handle.dataset.drag, pfa: bar.dataset.pfa, bar, ghost, box };
        root.setPointerCapture(e.pointerId);
        e.preventDefault();
    };
    const move = e => {
        if (!drag || e.pointerId !== drag.pointer) return;
        const dx = e.clientX - drag.x0, b = drag.box;
        const left = drag.mode === 'end' ? b.left : b.left + dx;
        const width = drag.mode === 'shift' ? b.width : drag.mode === 'start' ? b.width - dx : b.width + dx;
        Object.assign(drag.ghost.style, { left: left + 'px', width: Math.max(3, width) + 'px' });
    };
    // Arrow keys on a focused bar nudge it (handled in .NET): here they only must not scroll the chart.
    const key = e => {
        if ((e.key === 'ArrowLeft' || e.key === 'ArrowRight') && e.target.matches('.tl-forecast[tabindex]')) e.preventDefault();
    };
    const up = e => end(e, true);
    const cancel = e => end(e, false);
    root.addEventListener('pointerdown', down);
    root.addEventListener('pointermove', move);
    root.addEventListener('pointerup', up);
    root.addEventListener('pointercancel', cancel);
    root.addEventListener('keydown', key);
    return {
        dispose() {
            root.removeEventListener('pointerdown', down);
            root.removeEventListener('pointermove', move);
            root.removeEventListener('pointerup', up);
            root.removeEventListener('pointercancel', cancel);
            root.removeEventListener('keydown', key);
        },
    };
}

export function scrollToX(root, x) {
    if (root) root.scrollLeft = Math.max(0, x);
}
