// Keyboard use of the plan grid without a mouse: arrow keys move between cells, space selects the row.
// Enter/F2 (edit) and Escape (cancel) are handled by the Blazor cell itself.
document.addEventListener('keydown', e => {
    const cell = e.target instanceof Element ? e.target.closest('.pfa-cell') : null;
    if (!cell || e.altKey || e.ctrlKey || e.metaKey) return;
    const row = cell.closest('tr');
    if (!row) return;
    let next = null;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        let tr = e.key === 'ArrowDown' ? row.nextElementSibling : row.previousElementSibling;
        while (tr && !tr.querySelector('.pfa-cell')) tr = e.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling;
        next = tr ? tr.querySelector(`.pfa-cell[data-field="${cell.dataset.field}"]`) : null;
    } else if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
        const cells = Array.from(row.querySelectorAll('.pfa-cell'));
        next = cells[cells.indexOf(cell) + (e.key === 'ArrowRight' ? 1 : -1)] ?? null;
    } else if (e.key === ' ') {
        const box = row.querySelector('input[type=checkbox]');
        if (box) { e.preventDefault(); box.click(); }
        return;
    } else {
        return;
    }
    e.preventDefault();
    if (next) { next.focus(); next.scrollIntoView({ block: 'nearest', inline: 'nearest' }); }
});
