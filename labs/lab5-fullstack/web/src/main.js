import prettyBytes from 'pretty-bytes';
import './style.css';

const text = document.querySelector('#text');
const shift = document.querySelector('#shift');
const result = document.querySelector('#result');
const size = document.querySelector('#size');

async function update() {
  const params = new URLSearchParams({ text: text.value, shift: shift.value || '0' });
  const response = await fetch(`/api/caesar?${params}`);
  const body = await response.json();
  result.textContent = response.ok ? body.text : body.error;
  size.textContent = `${prettyBytes(new TextEncoder().encode(text.value).length)} of text`;
}

text.addEventListener('input', update);
shift.addEventListener('input', update);
update();
