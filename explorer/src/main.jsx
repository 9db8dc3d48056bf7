import 'graphiql/style.css';
import '@graphiql/plugin-explorer/style.css';
import './style.css';
import { createRoot } from 'react-dom/client';
import { App } from './app.jsx';

createRoot(document.getElementById('root')).render(<App />);
