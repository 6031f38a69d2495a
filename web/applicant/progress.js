// Applicant progress page (placeholder until built).
const app = document.getElementById('app');
app.textContent = '办理进度查询';
