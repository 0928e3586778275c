// Written by `cruddur-obs init`. The tracing module comes first: it wraps fetch before any
// component calls it.
import './tracing';
import React from 'react';
import ReactDOM from 'react-dom/client';
import App from './App';

const root = ReactDOM.createRoot(document.getElementById('root'));
root.render(
  <React.StrictMode>
    <App />
  </React.StrictMode>
);
