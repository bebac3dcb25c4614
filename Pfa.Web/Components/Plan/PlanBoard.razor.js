// Column widths dragged with the grid's resizer are remembered per user (localStorage under `key`, by the column key of the
// header's col-* class); PlanBoard applies them on the next visit. Only the width travels: no .NET round trip per drag.
export function remember(box, key) {
    let th = null;
    const down = e => {
        const resizer = e.target instanceof Element ? e.target.closest('.mud-resizer') : null;
        th = resizer ? resizer.closest('th') : null;
    };
    const up = () => {
        if (!th) return;
        const cell = th;
        th = null;
        setTimeout(() => {
            const col = [...cell.classList].find(c => c.startsWith('col-'));
            if (!col) return;
            const width = Math.round(cell.getBoundingClientRect().width);
            let all = {};
            try { all = JSON.parse(localStorage.getItem(key) || '{}') || {}; } catch { all = {}; }
            all[col.slice(4)] = width;
            localStorage.setItem(key, JSON.stringify(all));
            box.style.setProperty('--' + col, width + 'px');
        }, 50);
    };
    box.addEventListener('pointerdown', down, true);
    document.addEventListener('pointerup', up, true);
    return {
        dispose() {
            box.removeEventListener('pointerdown', down, true);
            document.removeEventListener('pointerup', up, true);
        },
    };
}
