const http = require('http'), https = require('https');
const proxy = new URL(process.env.HTTPS_PROXY);
const auth = Buffer.from(decodeURIComponent(proxy.username) + ':' + decodeURIComponent(proxy.password)).toString('base64');
function call(method, path) {
  return new Promise((resolve, reject) => {
    http.request({host: proxy.hostname, port: proxy.port, method: 'CONNECT', path: 'api.openai.test:443',
                  headers: {'Proxy-Authorization': 'Basic ' + auth}})
      .on('connect', (res, socket) => {
        https.request({host: 'api.openai.test', path, method, socket, servername: 'api.openai.test',
                       agent: false, headers: {Authorization: 'Bearer ' + process.env.OPENAI_API_KEY}},
          r => { let body = ''; r.on('data', c => body += c); r.on('end', () => resolve([r.statusCode, body])); })
          .on('error', reject).end();
      }).on('error', reject).end();
  });
}
(async () => { console.log(JSON.stringify([await call('GET', '/v1/models'), await call('POST', '/v1/models')])); })()
  .catch(e => { console.error(String(e)); process.exit(1); });
