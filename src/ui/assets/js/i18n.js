// English and Simplified Chinese labels. The language comes from the
// browser, can be switched, and is remembered for the browser session.

const STORE = 'koi.lang';

const en = {
  overview: 'Overview', sources: 'Sources', alerts: 'Alerts', newProject: 'New project',
  signIn: 'Sign in', signOut: 'Sign out', apiKey: 'API key', keyHint: 'This server requires an API key. It is kept for this browser session only.',
  badKey: 'The key is unknown or revoked.', search: 'Search projects', sortBy: 'Sort by',
  sortCode: 'Code', sortTitle: 'Title', sortValueDesc: 'Index, highest first', sortValueAsc: 'Index, lowest first', sortUpdated: 'Last update',
  noProjects: 'No projects yet.', coverage: 'Coverage', firing: 'Firing', updated: 'Updated', never: 'never',
  index: 'Index', history: 'History', custom: 'Custom', from: 'From', to: 'To', apply: 'Apply',
  breakdown: 'Breakdown', indicator: 'Indicator', value: 'Value', interval: 'Interval', position: 'Position',
  contribution: 'Contribution', status: 'Status', weight: 'Weight', edit: 'Edit', noResult: 'No value yet: push values with POST /v1/data.',
  live: 'Live', polling: 'Polling', indicators: 'Indicators', project: 'Project',
  code: 'Code', title: 'Title', description: 'Description', missingPolicy: 'Missing values',
  policyZero: 'count as 0', policyRenormalize: 'renormalize weights', key: 'Key', unit: 'Unit', maxAge: 'Stale after (s)',
  intervals: 'Intervals', start: 'Start', end: 'End', score: 'Score', higherBetter: 'higher is better', lowerBetter: 'lower is better',
  addIndicator: 'Add indicator', addInterval: 'Add band', remove: 'Remove', weightSum: 'Weight sum', save: 'Save',
  cancel: 'Cancel', preview: 'Preview (last 7 days)', current: 'Current', draft: 'Draft', meanDiff: 'Mean difference', maxDiff: 'Largest difference',
  deleteProject: 'Delete project', confirmDelete: 'Delete this project and its history?', fixErrors: 'Please fix the fields marked below.',
  name: 'Name', url: 'URL', method: 'Method', schedule: 'Schedule', timeout: 'Timeout (ms)', enabled: 'Enabled', mappings: 'Mappings',
  path: 'Path', headers: 'Headers', header: 'Header', body: 'Body (JSON)', addMapping: 'Add mapping', addHeader: 'Add header',
  dryRun: 'Dry run', pullNow: 'Pull now', lastRun: 'Last run', lastError: 'Last error', failures: 'Failures', newSource: 'New source',
  extracted: 'Extracted values', errors: 'Errors', noSources: 'No sources.', activeAlerts: 'Active alerts', noAlerts: 'No active alerts.',
  rules: 'Rules', newRule: 'New rule', kind: 'Condition', threshold: 'Threshold', forSecs: 'For (s)', severity: 'Severity',
  since: 'Since', state: 'State', subject: 'Subject', rule: 'Rule', noRules: 'No rules.', create: 'Create',
  ok: 'ok', stale: 'stale', missing: 'missing', no_interval: 'no interval', loadFailed: 'Could not load', readOnly: 'Read-only key',
  language: 'Language', newestValues: 'The newest {n} values of the range',
};

const zh = {
  overview: '总览', sources: '数据源', alerts: '告警', newProject: '新建项目',
  signIn: '登录', signOut: '退出', apiKey: 'API 密钥', keyHint: '此服务器需要 API 密钥，仅在本次浏览器会话中保存。',
  badKey: '密钥无效或已撤销。', search: '搜索项目', sortBy: '排序',
  sortCode: '代码', sortTitle: '名称', sortValueDesc: '指数从高到低', sortValueAsc: '指数从低到高', sortUpdated: '最近更新',
  noProjects: '还没有项目。', coverage: '覆盖率', firing: '告警中', updated: '更新于', never: '从未',
  index: '指数', history: '历史', custom: '自定义', from: '开始', to: '结束', apply: '应用',
  breakdown: '明细', indicator: '指标', value: '数值', interval: '区间', position: '位置',
  contribution: '贡献', status: '状态', weight: '权重', edit: '编辑', noResult: '尚无数值：请通过 POST /v1/data 推送数据。',
  live: '实时', polling: '轮询', indicators: '指标', project: '项目',
  code: '代码', title: '名称', description: '描述', missingPolicy: '缺失值',
  policyZero: '按 0 计', policyRenormalize: '重新分配权重', key: '键', unit: '单位', maxAge: '过期时间（秒）',
  intervals: '区间', start: '起点', end: '终点', score: '分数', higherBetter: '越高越好', lowerBetter: '越低越好',
  addIndicator: '添加指标', addInterval: '添加区间', remove: '删除', weightSum: '权重合计', save: '保存',
  cancel: '取消', preview: '预览（最近 7 天）', current: '当前', draft: '草稿', meanDiff: '平均差', maxDiff: '最大差',
  deleteProject: '删除项目', confirmDelete: '删除此项目及其历史？', fixErrors: '请修正下面标出的字段。',
  name: '名称', url: 'URL', method: '方法', schedule: '计划', timeout: '超时（毫秒）', enabled: '启用', mappings: '映射',
  path: '路径', headers: '请求头', header: '请求头', body: '请求体（JSON）', addMapping: '添加映射', addHeader: '添加请求头',
  dryRun: '试运行', pullNow: '立即拉取', lastRun: '上次运行', lastError: '上次错误', failures: '失败次数', newSource: '新建数据源',
  extracted: '提取的数值', errors: '错误', noSources: '没有数据源。', activeAlerts: '活动告警', noAlerts: '没有活动告警。',
  rules: '规则', newRule: '新建规则', kind: '条件', threshold: '阈值', forSecs: '持续（秒）', severity: '级别',
  since: '开始于', state: '状态', subject: '对象', rule: '规则', noRules: '没有规则。', create: '创建',
  ok: '正常', stale: '过期', missing: '缺失', no_interval: '无区间', loadFailed: '加载失败', readOnly: '只读密钥',
  language: '语言', newestValues: '区间内最新的 {n} 个数值',
};

export const LANGUAGES = [['en', 'English'], ['zh-CN', '简体中文']];
const DICTS = { en, 'zh-CN': zh };

let current = sessionStorage.getItem(STORE)
  || ((navigator.languages || [navigator.language]).some((l) => /^zh/i.test(l)) ? 'zh-CN' : 'en');

export function lang() {
  return current;
}

export function setLang(code) {
  current = DICTS[code] ? code : 'en';
  sessionStorage.setItem(STORE, current);
  document.documentElement.lang = current;
}

/** The label for `key` in the current language (English if missing). */
export function t(key) {
  return DICTS[current][key] ?? en[key] ?? key;
}
